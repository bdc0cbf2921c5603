import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RELEASE_VERSION } from '../domain/releases.ts';
import { UnauthorizedError } from '../domain/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { Releases } from '../engine/releases.ts';
import { parseInput } from './problem.ts';

/** The largest release bundle accepted (base64 in JSON makes the body a third bigger). */
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

const Publish = z.object({
  version: z.string().regex(RELEASE_VERSION, 'must be MAJOR.MINOR.PATCH with an optional -tag'),
  bundle: z.string().min(1, 'must be the base64 agent bundle').regex(/^[A-Za-z0-9+/=\s]+$/, 'must be base64'),
  signature: z.string().min(1).max(200),
  notes: z.string().max(2000).optional(),
});
const Approve = z.object({ canaryPercent: z.number().int().min(1).max(100).optional() }).strict();

export interface ReleaseRouteDeps {
  releases: Releases;
  engine: Engine;
  actorOf: (req: FastifyRequest) => string;
  /** Ask every connected agent to check for an update now (after an approval or a revoke). */
  nudge: () => void;
}

/**
 * Agent release routes. Operators (API key): publish a signed bundle, list, approve (optionally
 * to a canary share), revoke. Agents (their own key): ask which release to run, download it.
 *
 * @example
 * registerReleaseRoutes(app, { releases, engine, actorOf, nudge });
 */
export function registerReleaseRoutes(app: FastifyInstance, deps: ReleaseRouteDeps): void {
  const { releases, engine } = deps;
  const versionOf = (req: FastifyRequest) => (req.params as { version: string }).version;

  app.get('/v1/agent-releases', async () => ({ items: await releases.list(), trustedKeys: releases.keys.length }));
  app.post('/v1/agent-releases', { bodyLimit: Math.ceil(MAX_BUNDLE_BYTES * 1.4) }, async (req, reply) => {
    const body = parseInput(Publish, req.body ?? {});
    const release = await releases.publish({ version: body.version, bundle: Buffer.from(body.bundle, 'base64'), signature: body.signature, notes: body.notes }, deps.actorOf(req));
    req.log.info({ version: release.version, sha256: release.sha256, actor: deps.actorOf(req) }, 'agent release published');
    return reply.code(201).send(release);
  });
  app.get('/v1/agent-releases/:version', async (req) => releases.get(versionOf(req)));
  app.post('/v1/agent-releases/:version/approve', async (req) => {
    const body = parseInput(Approve, req.body ?? {});
    const release = await releases.approve(versionOf(req), body, deps.actorOf(req));
    req.log.info({ version: release.version, canaryPercent: release.canaryPercent, actor: deps.actorOf(req) }, 'agent release approved');
    deps.nudge();
    return release;
  });
  app.post('/v1/agent-releases/:version/revoke', async (req) => {
    const release = await releases.revoke(versionOf(req));
    req.log.info({ version: release.version, actor: deps.actorOf(req) }, 'agent release revoked');
    deps.nudge();
    return release;
  });

  // ── agents: authenticated by their own key, not an API key ─────────────────────
  const agentOf = async (req: FastifyRequest) => {
    const row = await engine.agentByAuthorization(req.headers.authorization);
    if (!row) throw new UnauthorizedError('missing or invalid agent key');
    return row;
  };
  app.get('/v1/agents/update', async (req, reply) => {
    const row = await agentOf(req);
    const q = parseInput(z.object({ version: z.string().max(64), refused: z.string().max(4000).optional() }), req.query, 'query');
    const offer = await releases.offer(row.id, q.version, (q.refused ?? '').split(',').filter(Boolean), engine.deps.publicUrl);
    return offer ? offer : reply.code(204).send();
  });
  app.get('/v1/agents/releases/:version/bundle', async (req, reply) => {
    await agentOf(req);
    const bundle = await releases.bundle(versionOf(req));
    return reply.type('application/octet-stream').header('cache-control', 'no-store').send(bundle);
  });
}
