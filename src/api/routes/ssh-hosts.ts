import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError, ProviderError, ValidationError } from '../../domain/errors.ts';
import { redactHost, unregisterHost, type RegisterHostInput, type SshHostStore, type SshProvider } from '../../providers/ssh.ts';
import { ForceQuery, ProbeQuery } from '../inputs.ts';
import { parseInput } from '../problem.ts';
import { STORABLE_TEXT } from '../text.ts';
import type { RouteContext } from './context.ts';

/** A registration carries at most a private key and a few names. */
const HOST_BODY_LIMIT = 64 * 1024;

/** Probe failures caused by what the user gave: a 422 naming that field, not a 502. */
const PROBE_FIELD: Record<string, string> = {
  auth_failed: 'privateKey',
  key_unreadable: 'privateKey',
  host_key_mismatch: 'hostKey',
  unsupported_os: 'address',
  unreachable: 'address',
  address_forbidden: 'address',
  node_missing: 'address',
};

/**
 * Hosts of the `ssh` provider (servers you bring): register (`?probe=true` to check it now), list,
 * get, probe, remove.
 *
 * @example
 * registerSshHostRoutes(app, ctx);
 */
export function registerSshHostRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const hostsOf = () => {
    if (!ctx.sshHosts || !ctx.engine.providers.has('ssh')) throw new NotFoundError('provider', 'ssh');
    return { hosts: ctx.sshHosts, ssh: ctx.engine.providers.get('ssh') as SshProvider };
  };
  const hostOr404 = async (hosts: SshHostStore, req: FastifyRequest) => {
    const ref = (req.params as { ref: string }).ref;
    if (ref.length > 253 || !STORABLE_TEXT.test(ref)) throw new NotFoundError('ssh host', JSON.stringify(ref.slice(0, 64)));
    const h = (await hosts.get(ref)) ?? (await hosts.list()).find((x) => x.name === ref);
    if (!h) throw new NotFoundError('ssh host', JSON.stringify(ref.slice(0, 64)));
    return h;
  };
  const probeOrExplain = async (ssh: SshProvider, id: string) => {
    try {
      return await ssh.probe(id);
    } catch (err) {
      const field = err instanceof ProviderError ? PROBE_FIELD[err.code] : undefined;
      if (!field) throw err;
      throw Object.assign(new ValidationError((err as Error).message, [{ field, message: (err as ProviderError).code }]), { status: 422, code: (err as ProviderError).code });
    }
  };

  app.get('/v1/ssh-hosts', { config: { access: 'admin' } }, async () => ({ items: (await hostsOf().hosts.list()).map(redactHost) }));
  app.post('/v1/ssh-hosts', { config: { access: 'admin' }, bodyLimit: HOST_BODY_LIMIT }, async (req, reply) => {
    const { hosts, ssh } = hostsOf();
    const q = parseInput(ProbeQuery, req.query, 'query');
    const host = await ssh.register((req.body ?? {}) as RegisterHostInput);
    let probe: unknown = null;
    if (q.probe === 'true') {
      try {
        probe = await probeOrExplain(ssh, host.id);
      } catch (err) {
        // Registered, but unusable as given: say why, keep nothing half-made.
        await hosts.remove(host.id);
        throw err;
      }
    }
    return reply.code(201).send({ ...redactHost((await hosts.get(host.id))!), probe });
  });
  app.get('/v1/ssh-hosts/:ref', { config: { access: 'admin' } }, async (req) => redactHost(await hostOr404(hostsOf().hosts, req)));
  app.post('/v1/ssh-hosts/:ref/probe', { config: { access: 'admin' } }, async (req) => {
    const { hosts, ssh } = hostsOf();
    const host = await hostOr404(hosts, req);
    const probe = await probeOrExplain(ssh, host.id);
    return { ...redactHost((await hosts.get(host.id))!), probe };
  });
  app.delete('/v1/ssh-hosts/:ref', { config: { access: 'admin' } }, async (req, reply) => {
    const { hosts } = hostsOf();
    const host = await hostOr404(hosts, req);
    await unregisterHost(hosts, host.id, { force: parseInput(ForceQuery, req.query, 'query').force === 'true' });
    return reply.code(204).send();
  });
}
