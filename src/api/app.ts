import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { eq } from 'drizzle-orm';
import { idempotencyKeys } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import { LIFECYCLE } from '../domain/lifecycle.ts';
import type { Catalogue } from '../engine/catalogue.ts';
import type { EventBus } from '../engine/bus.ts';
import type { Engine } from '../engine/engine.ts';
import { splitConfig } from '../engine/workload-config.ts';
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
  /** Directory of the built dashboard (index.html), if any. */
  webDir?: string;
}

const PUBLIC = new Set(['/healthz', '/metrics', '/openapi.json', '/v1/agents/enroll', '/v1/agent/bundle']);

/**
 * The HTTP API: a thin shell over the engine. Problem details for every error, bearer API keys,
 * `Idempotency-Key` on creating POSTs, keyset pagination, SSE for events.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { engine, auth, bus, catalogue, metrics } = deps;
  const store = engine.store;
  const app: FastifyInstance = Fastify({ loggerInstance: deps.log.child({ mod: 'http' }) as unknown as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 256 * 1024 });

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
    if (!path.startsWith('/v1/') || PUBLIC.has(path)) return;
    req.actor = await auth.check(req.headers.authorization);
  });

  const actorOf = (req: FastifyRequest) => (req as FastifyRequest & { actor?: string }).actor ?? 'api';
  const serialize = (row: Awaited<ReturnType<typeof store.get>>) =>
    instanceJson(row, catalogue.monthlyPrice(row.provider, row.serverType, row.location), engine.secretNames(row));

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

  // ── providers ──────────────────────────────────────────────────────────────
  app.get('/v1/providers', async () => ({
    items: [...engine.deps.providers.values()].map((p) => ({ name: p.name, userDataLimit: p.userDataLimit })),
  }));
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
    return engine.enroll(body.token, { version: body.version, hostname: body.hostname });
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

export { PUBLIC };
