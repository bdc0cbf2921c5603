import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { eq } from 'drizzle-orm';
import { idempotencyKeys } from '../db/schema.ts';
import { ConflictError, HangarError, NotFoundError, ProviderError, ValidationError } from '../domain/errors.ts';
import type { Hub } from '../hub/hub.ts';
import type { ReconcileReport } from '../engine/reconciler.ts';
import { redactHost, registerHost, unregisterHost, type RegisterHostInput, type SshHostStore, type SshProvider } from '../providers/ssh.ts';
import { LIFECYCLE } from '../domain/lifecycle.ts';
import type { Catalogue } from '../engine/catalogue.ts';
import type { EventBus } from '../engine/bus.ts';
import type { Engine } from '../engine/engine.ts';
import { splitConfig } from '../engine/workload-config.ts';
import { AgentOps, type OpResult, type OpsCommand } from '../engine/ops.ts';
import { lastSmoke } from '../engine/smoke.ts';
import { snapshotBuildJson, type SnapshotBuilder } from '../engine/snapshots.ts';
import type { Releases } from '../engine/releases.ts';
import { registerReleaseRoutes } from './releases.ts';
import type { ApiKeyAuth } from './auth.ts';
import { openApiDocument } from './openapi.ts';
import type { Metrics } from './metrics.ts';
import { parseInput, sendProblem } from './problem.ts';
import { CreateInstance, Enroll, ListQuery } from './schemas.ts';
import { decodeCursor, encodeCursor, eventJson, instanceJson } from './serialize.ts';

export interface AppDeps {
  engine: Engine;
  auth: ApiKeyAuth;
  bus: EventBus;
  catalogue: Catalogue;
  metrics: Metrics;
  log: Logger;
  agentBundle: () => Promise<string>;
  /** One reconciler pass now (ConflictError when another replica holds the lease). */
  reconcile?: () => Promise<ReconcileReport>;
  /** Cloud and tailnet credentials given through the API (sealed at rest). */
  credentials?: { stored(): Promise<string[]>; put(service: string, body: unknown): Promise<void>; remove(service: string): Promise<boolean> };
  /** Registered hosts of the `ssh` provider. */
  sshHosts?: SshHostStore;
  /** Directory of the built dashboard (index.html), if any. */
  webDir?: string;
  /** The agent hub: operations commands (status, doctor, logs, smoke, restart, exec) go through it. */
  hub?: Pick<Hub, 'command'>;
  /** Snapshot builds and the labelled-snapshot catalogue. */
  snapshots?: SnapshotBuilder;
  /** Signed agent releases (self-update). */
  releases?: Releases;
}

/** A builder server's report: public, authorized by its build token instead of an API key. */
const SNAPSHOT_READY = /^\/v1\/snapshot-builds\/[^/]+\/ready$/;
const PUBLIC = new Set(['/healthz', '/metrics', '/openapi.json', '/v1/agents/enroll', '/v1/agent/bundle']);
/** Agents' own routes: they present their agent key, checked by the route. */
const AGENT_ROUTES = /^\/v1\/agents\/(update|releases\/)/;

/**
 * The HTTP API: a thin shell over the engine. Problem details for every error, bearer API keys,
 * `Idempotency-Key` on creating POSTs, keyset pagination, SSE for events.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { engine, auth, bus, catalogue, metrics } = deps;
  const store = engine.store;
  const app: FastifyInstance = Fastify({ loggerInstance: deps.log.child({ mod: 'http' }) as unknown as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 256 * 1024 });

  // JSON bodies: an empty body (DELETE with a content-type, say) is no body; bad JSON names `body`.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (err) {
      done(new ValidationError(`request body is not valid JSON: ${(err as Error).message}`, [{ field: 'body', message: 'not valid JSON' }]), undefined);
    }
  });
  app.setErrorHandler((err, req, reply) => {
    if (!(err as { statusCode?: number }).statusCode && !(err instanceof Error && 'status' in err)) req.log.error({ err }, 'unhandled error');
    else if ((err as { status?: number }).status && (err as { status: number }).status >= 500) req.log.warn({ err: (err as Error).message }, 'request failed');
    return sendProblem(reply, err);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, new NotFoundError('route', `${req.method} ${req.url.split('?')[0]}`)));

  app.addHook('onResponse', async (req, reply) => {
    metrics.http.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  app.addHook('preHandler', async (req: FastifyRequest & { actor?: string }) => {
    const path = req.url.split('?')[0];
    if (!path.startsWith('/v1/') || PUBLIC.has(path) || SNAPSHOT_READY.test(path) || AGENT_ROUTES.test(path)) return;
    req.actor = await auth.check(req.headers.authorization);
  });

  const actorOf = (req: FastifyRequest) => (req as FastifyRequest & { actor?: string }).actor ?? 'api';
  const serialize = (row: Awaited<ReturnType<typeof store.get>>) =>
    instanceJson(row, catalogue.monthlyPrice(row.provider, row.serverType, row.location), engine.secretNames(row));

  // ── ssh hosts (bring your own server) ────────────────────────────────────────
  const hostsOf = () => {
    if (!deps.sshHosts || !engine.deps.providers.has('ssh')) throw new NotFoundError('provider', 'ssh');
    return { hosts: deps.sshHosts, ssh: engine.deps.providers.get('ssh') as SshProvider };
  };
  const hostOr404 = async (hosts: SshHostStore, ref: string) => {
    const h = (await hosts.get(ref)) ?? (await hosts.list()).find((x) => x.name === ref);
    if (!h) throw new NotFoundError('ssh host', ref);
    return h;
  };
  /** A probe that fails because of what the user gave is a 422 naming that field, not a 502. */
  const probeOrExplain = async (ssh: SshProvider, id: string) => {
    try {
      return await ssh.probe(id);
    } catch (err) {
      const field = err instanceof ProviderError ? ({ auth_failed: 'privateKey', key_unreadable: 'privateKey', host_key_mismatch: 'hostKey', unsupported_os: 'address', connection_refused: 'port', connection_timeout: 'address', host_unreachable: 'address', dns_failed: 'address', node_missing: 'address' } as Record<string, string>)[err.code] : undefined;
      if (!field) throw err;
      throw Object.assign(new ValidationError((err as Error).message, [{ field, message: (err as ProviderError).code }]), { status: 422, code: (err as ProviderError).code });
    }
  };
  app.get('/v1/ssh-hosts', async () => ({ items: (await hostsOf().hosts.list()).map(redactHost) }));
  app.post('/v1/ssh-hosts', async (req, reply) => {
    const { hosts, ssh } = hostsOf();
    const q = req.query as { probe?: string };
    const host = await registerHost(hosts, (req.body ?? {}) as RegisterHostInput, engine.deps.secretKey);
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
  app.get('/v1/ssh-hosts/:ref', async (req) => redactHost(await hostOr404(hostsOf().hosts, (req.params as { ref: string }).ref)));
  app.post('/v1/ssh-hosts/:ref/probe', async (req) => {
    const { hosts, ssh } = hostsOf();
    const host = await hostOr404(hosts, (req.params as { ref: string }).ref);
    const probe = await probeOrExplain(ssh, host.id);
    return { ...redactHost((await hosts.get(host.id))!), probe };
  });
  app.delete('/v1/ssh-hosts/:ref', async (req, reply) => {
    const { hosts } = hostsOf();
    const host = await hostOr404(hosts, (req.params as { ref: string }).ref);
    await unregisterHost(hosts, host.id, { force: (req.query as { force?: string }).force === 'true' });
    return reply.code(204).send();
  });

  // ── snapshots (builds, list, delete, prune) ─────────────────────────────────
  const snapshotsOf = () => {
    if (!deps.snapshots) throw new NotFoundError('feature', 'snapshots');
    return deps.snapshots;
  };
  const SnapshotProviderQuery = z.object({ provider: z.enum(['hetzner', 'digital-ocean']).optional() });
  app.post('/v1/snapshots', async (req, reply) => {
    const body = parseInput(z.object({ provider: z.enum(['hetzner', 'digital-ocean']), location: z.string().regex(/^[a-z0-9-]{1,40}$/, 'a provider location name, e.g. nbg1 or fra1').optional() }).strict(), req.body ?? {});
    const build = await snapshotsOf().start(body);
    return reply.code(202).header('location', `/v1/snapshot-builds/${build.id}`).send(snapshotBuildJson(build));
  });
  app.get('/v1/snapshots', async (req) => ({ items: await snapshotsOf().list(parseInput(SnapshotProviderQuery, req.query, 'query').provider) }));
  app.post('/v1/snapshots/prune', async (req) => snapshotsOf().prune(parseInput(SnapshotProviderQuery, req.query, 'query').provider));
  app.delete('/v1/snapshots/:provider/:id', async (req, reply) => {
    const { provider, id } = parseInput(z.object({ provider: z.enum(['hetzner', 'digital-ocean']), id: z.string().regex(/^\d+$/, 'a snapshot id (digits)') }), req.params, 'query');
    await snapshotsOf().remove(provider, id);
    return reply.code(204).send();
  });
  app.get('/v1/snapshot-builds', async () => ({ items: (await snapshotsOf().builds()).map(snapshotBuildJson) }));
  app.get('/v1/snapshot-builds/:id', async (req) => snapshotBuildJson(await snapshotsOf().get((req.params as { id: string }).id)));
  app.post('/v1/snapshot-builds/:id/ready', async (req) => {
    const row = await snapshotsOf().ready((req.params as { id: string }).id, req.headers.authorization, (req.body ?? {}) as Record<string, unknown>);
    return { id: row.id, status: row.status, recorded: true };
  });

  app.post('/v1/reconcile', async () => {
    if (!deps.reconcile) throw new ConflictError('the reconciler is not running in this process');
    return deps.reconcile();
  });

  app.get('/healthz', async () => ({ ok: true, database: engine.deps.store ? 'up' : 'down' }));
  app.get('/metrics', async (_req, reply) => {
    await metrics.refresh();
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/openapi.json', async () => openApiDocument());

  // ── instances ──────────────────────────────────────────────────────────────
  app.post('/v1/instances', async (req, reply) => {
    const q = parseInput(z.object({ dryRun: z.enum(['true', 'false']).optional() }), req.query, 'query');
    const body = parseInput(CreateInstance, req.body);
    const { config, secrets } = splitConfig(body.workload, body.config);
    const input = {
      name: body.name ?? `${body.workload}`,
      provider: body.provider,
      location: body.location,
      serverType: body.serverType,
      image: body.image,
      workload: body.workload,
      workloadConfig: config,
      secrets,
      tailscale: body.tailscale,
      tailscaleTags: body.tailscaleTags,
      connectTimeoutSeconds: body.connectTimeoutSeconds,
      onFailure: body.onFailure,
    };
    if (q.dryRun === 'true') return reply.send(await engine.plan(input));
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string' && key.length) {
      if (key.length > 200) throw new ValidationError('Idempotency-Key is too long', [{ field: 'Idempotency-Key', message: 'at most 200 characters' }]);
      const bodyHash = createHash('sha256').update(JSON.stringify(req.body ?? {})).digest('hex');
      const scoped = `${actorOf(req)}:POST /v1/instances:${key}`;
      const inserted = await store.db.insert(idempotencyKeys).values({ key: scoped, bodyHash }).onConflictDoNothing().returning();
      if (!inserted.length) {
        const [prev] = await store.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, scoped));
        if (prev.bodyHash !== bodyHash) {
          return sendProblem(reply, Object.assign(new ValidationError('Idempotency-Key was already used with a different body', [{ field: 'Idempotency-Key', message: 'reused with a different body' }]), { status: 422 }));
        }
        if (prev.status === null) return reply.code(409).type('application/problem+json').send({ type: 'https://hangar.dev/problems/conflict', title: 'Conflict', status: 409, detail: 'a request with this Idempotency-Key is still in progress; retry shortly' });
        return reply.code(prev.status).header('idempotent-replayed', 'true').send(prev.response);
      }
      try {
        const row = await engine.createInstance(input, actorOf(req));
        const json = serialize(row);
        await store.db.update(idempotencyKeys).set({ status: 201, response: json }).where(eq(idempotencyKeys.key, scoped));
        return reply.code(201).header('location', `/v1/instances/${row.id}`).send(json);
      } catch (err) {
        await store.db.delete(idempotencyKeys).where(eq(idempotencyKeys.key, scoped));
        throw err;
      }
    }
    const row = await engine.createInstance(input, actorOf(req));
    return reply.code(201).header('location', `/v1/instances/${row.id}`).send(serialize(row));
  });

  app.get('/v1/instances', async (req) => {
    const q = parseInput(ListQuery, req.query, 'query');
    const status = q.status?.split(',').filter(Boolean);
    const bad = status?.filter((s) => !(LIFECYCLE as readonly string[]).includes(s));
    if (bad?.length) throw new ValidationError(`unknown status ${bad.join(', ')}`, [{ field: 'status', message: `one or more of ${LIFECYCLE.join(', ')}` }]);
    const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !cursor) throw new ValidationError('invalid cursor', [{ field: 'cursor', message: 'not a cursor returned by this API' }]);
    const rows = await store.list({ limit: q.limit + 1, cursor: cursor ?? undefined, status, provider: q.provider });
    const page = rows.slice(0, q.limit);
    return { items: page.map(serialize), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null };
  });

  app.get('/v1/instances/:id', async (req) => serialize(await store.get((req.params as { id: string }).id)));

  app.delete('/v1/instances/:id', async (req, reply) => {
    const row = await engine.destroy((req.params as { id: string }).id, actorOf(req));
    return reply.code(202).send(serialize(row));
  });

  app.get('/v1/instances/:id/events', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    await store.get(id);
    const q = parseInput(z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).default(500) }), req.query, 'query');
    const lastId = Number(req.headers['last-event-id'] ?? q.after ?? 0) || 0;
    if ((req.headers.accept ?? '').includes('text/event-stream')) return streamEvents(req, reply, id, lastId);
    const rows = await store.events(id, { after: lastId, limit: q.limit });
    return { items: rows.map(eventJson), nextCursor: rows.length === q.limit ? String(rows[rows.length - 1].id) : null };
  });

  /** Every instance's events, for dashboards: same rows, SSE or JSON. */
  app.get('/v1/events', async (req, reply) => {
    const q = parseInput(z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).default(500) }), req.query, 'query');
    const lastId = Number(req.headers['last-event-id'] ?? q.after ?? 0) || 0;
    if ((req.headers.accept ?? '').includes('text/event-stream')) return streamEvents(req, reply, null, lastId);
    const rows = await store.allEvents({ after: lastId, limit: q.limit });
    return { items: rows.map(eventJson), nextCursor: rows.length === q.limit ? String(rows[rows.length - 1].id) : null };
  });

  /** SSE: replay rows after `lastId`, then follow; each frame's `id:` is the event id. */
  async function streamEvents(req: FastifyRequest, reply: FastifyReply, instanceId: string | null, lastId: number) {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': hangar events\n\n');
    let cursor = lastId;
    let busy = false;
    let again = false;
    let closed = false;
    const pump = async () => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          for (;;) {
            const rows = instanceId ? await store.events(instanceId, { after: cursor, limit: 500 }) : await store.allEvents({ after: cursor, limit: 500 });
            for (const e of rows) {
              res.write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(eventJson(e))}\n\n`);
              cursor = e.id;
            }
            if (rows.length < 500) break;
          }
        } while (again && !closed);
      } catch (err) {
        req.log.warn({ err }, 'sse pump failed');
      } finally {
        busy = false;
      }
    };
    const unsubscribe = bus.subscribe(instanceId, () => void pump());
    // A slow poll as well, for events written by replicas whose NOTIFY we missed.
    const poll = setInterval(() => void pump(), 2000);
    const ping = setInterval(() => res.write(': ping\n\n'), 15000);
    req.raw.on('close', () => {
      closed = true;
      unsubscribe();
      clearInterval(poll);
      clearInterval(ping);
    });
    await pump();
  }

  // ── operating agents: status, doctor, logs, smoke, restart, exec (each audited) ──────────
  const ops = new AgentOps({ store, send: deps.hub ? (id, name, args, t) => deps.hub!.command(id, name, args, t) : undefined, onSmoke: (result) => metrics.smoke.inc({ result }) });
  const agentOps = (req: FastifyRequest, name: OpsCommand, args: Record<string, unknown>, timeoutMs: number, summarize: (r: OpResult) => string, audit: Record<string, unknown> = {}) =>
    ops.run(idOf(req), name, args, { timeoutMs, actor: actorOf(req), summarize, audit });
  const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;
  const agentFailed = (name: string, r: { error?: string }) => new HangarError('agent-command-failed', `${name} failed on the agent: ${r.error ?? 'unknown error'}`, 502);

  // ── agent self-update: releases, and asking agents to check now ─────────────────
  if (deps.releases) {
    const askToUpdate = (id: string, actor: string) =>
      ops.run(id, 'update', {}, { timeoutMs: 60_000, actor, summarize: (r) => (r.ok ? (r.data as { detail?: string })?.detail ?? 'checked' : `failed: ${r.error}`) });
    const nudge = () =>
      void ops
        .eachConnected(async (r) => void (await askToUpdate(r.id, 'release-rollout').catch(() => {})))
        .catch((err) => deps.log.warn({ err }, 'asking agents to update failed'));
    registerReleaseRoutes(app, { releases: deps.releases, engine, actorOf, nudge });
    app.post('/v1/instances/:id/agent-update', async (req) => (await askToUpdate(idOf(req), actorOf(req))).result);
  }

  app.get('/v1/instances/:id/status', async (req) => {
    const row = await store.get(idOf(req));
    const cp = { id: row.id, name: row.name, status: row.status, step: row.step, connection: row.connection, lastHeartbeatAt: row.lastHeartbeatAt?.toISOString() ?? null, agentVersion: row.agentVersion, workloadHealthy: row.workloadHealthy, tailnetName: row.tailnetName, hubReplica: row.hubReplica, execEnabled: row.workloadConfig?.exec === true, lastSmoke: await lastSmoke(store.db, row.id) };
    if (!deps.hub || row.connection !== 'connected') return { ...cp, agent: null, agentError: `agent is not connected (status ${row.status}, connection ${row.connection})` };
    const { result } = await agentOps(req, 'status', {}, 10_000, (r) => (r.ok ? `agent v${(r.data as { version?: string })?.version ?? '?'} up` : `failed: ${r.error}`));
    return { ...cp, agent: result.ok ? result.data : null, ...(result.ok ? {} : { agentError: result.error }) };
  });
  app.post('/v1/instances/:id/doctor', async (req) => {
    const { result } = await agentOps(req, 'doctor', {}, 60_000, (r) => {
      if (!r.ok) return `failed: ${r.error}`;
      const d = r.data as { status: string; checks: { name: string; status: string }[] };
      const bad = d.checks.filter((c) => c.status !== 'pass').map((c) => `${c.name} ${c.status}`);
      return `${d.status}${bad.length ? ` (${bad.join(', ')})` : ''}`;
    });
    if (!result.ok) throw agentFailed('doctor', result);
    return result.data;
  });
  app.get('/v1/instances/:id/logs', async (req) => {
    const q = parseInput(z.object({ unit: z.enum(['agent', 'bootstrap', 'workload']).default('agent'), lines: z.coerce.number().int().min(1).max(5000).default(100) }), req.query, 'query');
    const { result } = await agentOps(req, 'logs', q, 15_000, (r) => (r.ok ? `${(r.data as { lines: string[] }).lines.length} ${q.unit} lines` : `failed: ${r.error}`), { unit: q.unit, lines: q.lines });
    if (!result.ok) throw agentFailed('logs', result);
    return result.data;
  });
  app.post('/v1/instances/:id/smoke', async (req) => {
    const { result } = await ops.smoke(idOf(req), actorOf(req));
    if (!result.ok) throw agentFailed('smoke', result);
    return result.data;
  });
  app.post('/v1/instances/:id/restart', async (req) => {
    const body = parseInput(z.object({ target: z.enum(['workload', 'agent']).default('workload'), timeoutSeconds: z.number().int().min(1).max(600).default(60) }).strict(), req.body ?? {});
    const t0 = new Date();
    const { result } = await agentOps(req, 'restart', body, (body.timeoutSeconds + 15) * 1000, (r) => {
      const d = (r.data ?? {}) as { restarted?: string; healthy?: boolean; note?: string };
      return r.ok ? `${d.restarted ?? body.target} restarted${d.healthy === undefined ? '' : d.healthy ? ', healthy' : ', not healthy'}${d.note ? ` (${d.note})` : ''}` : `failed: ${r.error}`;
    }, { target: body.target });
    if (!result.ok) throw agentFailed('restart', result);
    const data = (result.data ?? {}) as Record<string, unknown>;
    if (data.restarted !== 'agent') return data;
    // The agent exited for its supervisor: wait until it is back, connected, with a healthy workload.
    const deadline = t0.getTime() + body.timeoutSeconds * 1000;
    for (;;) {
      const row = await store.get(idOf(req));
      if (row.connection === 'connected' && row.workloadHealthy === true && (await store.reconnectedAfter(row.id, t0))) return { ...data, reconnected: true, healthy: true, waitedMs: Date.now() - t0.getTime() };
      if (Date.now() > deadline) throw new HangarError('agent-restart-timeout', `the agent did not come back connected and healthy within ${body.timeoutSeconds} s (connection ${row.connection}, workload healthy ${row.workloadHealthy}); see hangar logs ${row.id}`, 504);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  app.post('/v1/instances/:id/exec', async (req) => {
    const body = parseInput(z.object({ argv: z.array(z.string().max(8192)).min(1).max(256), timeoutSeconds: z.number().int().min(1).max(600).default(30) }).strict(), req.body ?? {});
    const row = await store.get(idOf(req));
    if (row.workloadConfig?.exec !== true) {
      await store.event(row.id, { actor: actorOf(req), kind: 'info', reason: `command exec refused: exec is not enabled on this instance`, data: { command: 'exec', ok: false, argv: redactArgv(body.argv) } });
      throw new HangarError('forbidden', 'exec is disabled for this instance; create it with config {"exec": true} to allow running commands on it', 403);
    }
    const { result } = await agentOps(req, 'exec', body, (body.timeoutSeconds + 10) * 1000, (r) => `${redactArgv(body.argv).join(' ').slice(0, 150)} → ${r.ok ? `exit ${(r.data as { exitCode: number | null }).exitCode}` : `refused: ${r.error}`}`, { argv: redactArgv(body.argv) });
    if (!result.ok) throw new HangarError('forbidden', `the agent refused exec: ${result.error}`, 403);
    return result.data;
  });

  // ── providers ──────────────────────────────────────────────────────────────
  app.get('/v1/providers', async () => {
    const stored = new Set((await deps.credentials?.stored()) ?? []);
    return {
      items: [...engine.deps.providers.values()].map((p) => ({ name: p.name, userDataLimit: p.userDataLimit, credentials: stored.has(p.name) ? 'api' : p.name === 'local' || p.name === 'ssh' ? 'none needed' : 'environment' })),
      tailnet: engine.deps.tailnet ? (stored.has('tailscale') ? 'api' : 'environment') : 'not configured',
    };
  });
  // Credentials: write-only (the token is sealed at rest and never returned).
  app.put('/v1/providers/:provider/credentials', async (req, reply) => {
    if (!deps.credentials) throw new NotFoundError('route', 'credentials');
    await deps.credentials.put((req.params as { provider: string }).provider, req.body);
    return reply.code(204).send();
  });
  app.delete('/v1/providers/:provider/credentials', async (req, reply) => {
    if (!deps.credentials) throw new NotFoundError('route', 'credentials');
    const name = (req.params as { provider: string }).provider;
    if (!(await deps.credentials.remove(name))) throw new NotFoundError('stored credentials', name);
    return reply.code(204).send();
  });
  const providerOf = (req: FastifyRequest) => {
    const name = (req.params as { provider: string }).provider;
    if (!engine.deps.providers.has(name as never)) throw new NotFoundError('provider', name);
    return name;
  };
  const refreshOf = (req: FastifyRequest) => parseInput(z.object({ refresh: z.enum(['true', 'false']).optional() }), req.query, 'query').refresh === 'true';
  app.get('/v1/providers/:provider/server-types', async (req) => ({ items: await catalogue.serverTypes(providerOf(req), refreshOf(req)) }));
  app.get('/v1/providers/:provider/locations', async (req) => ({ items: await catalogue.locationsOf(providerOf(req), refreshOf(req)) }));

  // ── agents ─────────────────────────────────────────────────────────────────
  app.post('/v1/agents/enroll', async (req) => {
    const body = parseInput(Enroll, req.body);
    return engine.enroll(body.token, { version: body.version, hostname: body.hostname, nonce: body.nonce });
  });
  app.get('/v1/agent/bundle', async (_req, reply) => {
    const path = await deps.agentBundle();
    return reply.type('text/javascript').header('cache-control', 'no-cache').send(await readFile(path));
  });

  // ── dashboard ──────────────────────────────────────────────────────────────
  if (deps.webDir && existsSync(join(deps.webDir, 'index.html'))) {
    const webDir = deps.webDir;
    const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json' };
    app.get('/*', async (req, reply) => {
      const path = decodeURIComponent(req.url.split('?')[0]);
      if (path.startsWith('/v1/')) return sendProblem(reply, new NotFoundError('route', `${req.method} ${path}`));
      const rel = path.replace(/^\/+/, '');
      const file = rel && !rel.includes('..') && existsSync(join(webDir, rel)) && /\.[a-z0-9]+$/.test(rel) ? join(webDir, rel) : join(webDir, 'index.html');
      const ext = /\.[a-z0-9]+$/.exec(file)?.[0] ?? '.html';
      return reply.type(types[ext] ?? 'application/octet-stream').header('cache-control', ext === '.html' ? 'no-cache' : 'public, max-age=31536000, immutable').send(await readFile(file));
    });
  }

  return app;
}

/** argv for audit events: values of secret-looking flags and Hangar/Tailscale tokens masked. */
export function redactArgv(argv: string[]): string[] {
  const SECRET = /(key|token|password|secret)/i;
  return argv.map((a, i) => {
    if (/\b(hg[a-z]_|tskey-)[A-Za-z0-9_-]+/.test(a)) return a.replace(/\b(hg[a-z]_|tskey-)[A-Za-z0-9_-]+/g, '$1[REDACTED]');
    const eq = /^([^=]+)=(.*)$/.exec(a);
    if (eq && SECRET.test(eq[1])) return `${eq[1]}=[REDACTED]`;
    if (i > 0 && /^--?[\w-]+$/.test(argv[i - 1]) && SECRET.test(argv[i - 1])) return '[REDACTED]';
    return a;
  });
}

export { PUBLIC };
