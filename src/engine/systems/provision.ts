import { HangarError, ProviderError } from '../../domain/errors.ts';
import { LABEL_INSTALLATION, LABEL_INSTANCE } from '../../domain/names.ts';
import { open } from '../../domain/tokens.ts';
import type { CloudProvider, ServerInfo } from '../../providers/types.ts';
import type { Attempt } from '../jobs.ts';
import { providerOf, type EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';
import { bootstrapToken } from './create.ts';
import { withCapacityFallback } from './fallback.ts';
import { ownership } from './ownership.ts';
import { fail } from './teardown.ts';
import { bootstrapFor, renderUserDataFor } from './user-data.ts';

/**
 * pg-boss handler for `instance.provision` (step create_server). Idempotent: it finds a server
 * by label before it creates one, and adopts one that carries our labels.
 *
 * @example
 * await jobs.work('provision', 8, (id, attempt) => provisionStep(r, id, attempt));
 */
export async function provisionStep(r: EngineResources, instanceId: string, attempt: Attempt): Promise<void> {
  let row = await r.store.find(instanceId);
  if (!row) return;
  if (row.status === 'pending') {
    row = await r.store.transition(instanceId, { type: 'start' }, { actor: 'engine', reason: 'provisioning started' }, { bootstrapPath: row.bootstrapPath ?? 'full' });
  }
  // Destroyed or failed meanwhile, or already recorded: nothing to do.
  if (row.status !== 'provisioning' && row.status !== 'running') return;
  if (row.serverId && !(row.status === 'provisioning' && row.step === 'create_server')) return;
  const provider = providerOf(r, row.provider);
  try {
    let server = row.serverId ? await provider.getServer(row.serverId) : null;
    if (!server) server = (await provider.findServers({ labels: ownership(row) }))[0] ?? null;
    if (server) {
      if (!row.serverId) await r.store.event(row.id, { actor: 'engine', kind: 'info', reason: `adopted server ${server.id} found by label`, data: { serverId: server.id } });
    } else if (row.status === 'provisioning' && row.step === 'create_server') {
      server = await createServer(r, row, provider);
    } else {
      // The agent got further than this job, yet no server carries our labels: it vanished.
      throw new ProviderError(provider.name, 'not_found', `no server labelled for instance ${row.id}`, 404, false);
    }
    await recordServer(r, row.id, server);
  } catch (err) {
    await onStepError(r, row, 'create_server', err, attempt);
    throw err;
  }
}

async function createServer(r: EngineResources, row: InstanceRow, provider: CloudProvider): Promise<ServerInfo> {
  let token = row.bootstrapTokenSealed ? open(row.bootstrapTokenSealed, r.secretKey) : null;
  if (!token || (row.bootstrapTokenExpiresAt && row.bootstrapTokenExpiresAt.getTime() < Date.now() + row.connectTimeoutSeconds * 1000)) {
    // No server carries the old token (we looked by label): a fresh one is safe.
    const fresh = bootstrapToken(r, row.connectTimeoutSeconds);
    token = fresh.token;
    row = await r.store.update(row.id, fresh.columns);
  }
  const bootstrap = await bootstrapFor(r, row, token);
  const { userData } = renderUserDataFor(r, provider, bootstrap);
  const spec = { name: row.serverName, labels: ownership(row), location: row.location ?? undefined, serverType: row.serverType ?? undefined, image: row.hibernateImageId ?? row.image ?? undefined, userData, bootstrap };
  try {
    const server = await withCapacityFallback(r, row, (choice) => provider.createServer({ ...spec, ...choice }));
    await r.store.event(row.id, { actor: 'engine', kind: 'info', reason: `server ${server.id} created on ${provider.name}`, data: { serverId: server.id, name: server.name, replica: r.replicaId } });
    return server;
  } catch (err) {
    if (err instanceof ProviderError && err.code === 'uniqueness_error') {
      const [named] = await provider.findServers({ name: row.serverName });
      if (named && named.labels[LABEL_INSTANCE] === row.id && named.labels[LABEL_INSTALLATION] === r.installationId) {
        await r.store.event(row.id, { actor: 'engine', kind: 'info', reason: `adopted server ${named.id}: name taken by our own server`, data: { serverId: named.id, code: err.code } });
        return named;
      }
      throw new ProviderError(provider.name, 'uniqueness_error', `server name ${row.serverName} is taken by a server Hangar does not own`, err.httpStatus, false);
    }
    throw err;
  }
}

async function recordServer(r: EngineResources, instanceId: string, server: ServerInfo): Promise<void> {
  const row = await r.store.get(instanceId);
  // What the cloud reports, not what was asked: the real type, location and their price.
  const serverType = server.serverType ?? row.serverType;
  const location = server.location ?? row.location;
  const price = r.catalogue && (serverType !== row.serverType || location !== row.location || row.priceHourly === null)
    ? await r.catalogue.price(row.provider, serverType, location).catch(() => null)
    : null;
  if (price) await r.ledger?.reprice(instanceId, price);
  const set = {
    serverId: server.id,
    ipv4: server.ipv4 ?? row.ipv4,
    ipv6: server.ipv6 ?? row.ipv6,
    serverType,
    location,
    ...(price ? { priceHourly: price.hourly, priceMonthly: price.monthly, priceCurrency: price.currency || null } : {}),
  };
  await r.store.advance(instanceId, 'boot', { actor: 'engine', reason: `server ${server.id} booting`, data: { serverId: server.id } }, set);
  if (row.status === 'stopping' || row.status === 'stopped') {
    // A destroy raced with this create: make sure teardown sees the new server.
    await r.jobs.enqueue('teardown', instanceId);
  }
  await r.jobs.enqueue('connectTimeout', instanceId, { startAfter: Math.min(row.connectTimeoutSeconds, r.stateTimeouts?.booting ?? row.connectTimeoutSeconds) });
}

/** Record a failed attempt as an event with the vendor's code; on the last attempt, fail the instance. */
async function onStepError(r: EngineResources, row: InstanceRow, step: string, err: unknown, attempt: Attempt): Promise<void> {
  const code = err instanceof ProviderError ? err.code : err instanceof HangarError ? err.type : 'error';
  const message = err instanceof Error ? err.message : String(err);
  const retryable = err instanceof ProviderError ? err.retryable : !(err instanceof HangarError);
  const last = !retryable || attempt.retryCount >= attempt.retryLimit;
  await r.store.event(row.id, {
    actor: 'engine',
    kind: last ? 'error' : 'warning',
    reason: `${step} failed (attempt ${attempt.retryCount + 1}${last ? ', giving up' : ', will retry'}): ${message}`,
    data: { code, step, attempt: attempt.retryCount + 1 },
  });
  if (last) await fail(r, row.id, `${step} failed: ${message}`, 'engine');
}
