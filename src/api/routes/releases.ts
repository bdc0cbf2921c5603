import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RELEASE_VERSION } from '../../domain/releases.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { ApproveRelease as Approve, PublishRelease as Publish } from '../inputs.ts';
import { parseInput } from '../problem.ts';
import { actorOf, type RouteContext } from './context.ts';

/** The largest release bundle accepted (base64 in JSON makes the body a third bigger). */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

/** A release version in a path: the same shape as a published one, or it does not exist. */
export function versionOf(req: FastifyRequest): string {
  const v = (req.params as { version: string }).version;
  if (!RELEASE_VERSION.test(v)) throw new NotFoundError('agent release', JSON.stringify(v.slice(0, 64)));
  return v;
}

/**
 * Agent releases for operators: publish a signed bundle, list, get, approve (optionally to a
 * canary share; an older version than the newest approved one needs `allowDowngrade`), revoke.
 * Approving or revoking asks connected agents to check at once.
 *
 * @example
 * registerReleaseRoutes(app, ctx, nudge);
 */
export function registerReleaseRoutes(app: FastifyInstance, ctx: RouteContext, nudge: () => void): void {
  const releases = () => {
    if (!ctx.releases) throw new NotFoundError('feature', 'agent releases');
    return ctx.releases;
  };
  app.get('/v1/agent-releases', { config: { access: 'viewer' } }, async () => ({ items: await releases().list(), trustedKeys: releases().keys.length }));
  app.post('/v1/agent-releases', { config: { access: 'releaser' }, bodyLimit: Math.ceil(MAX_BUNDLE_BYTES * 1.4) }, async (req, reply) => {
    const body = parseInput(Publish, req.body ?? {});
    const release = await releases().publish({ version: body.version, bundle: Buffer.from(body.bundle, 'base64'), signature: body.signature, notes: body.notes }, actorOf(req));
    req.log.info({ version: release.version, sha256: release.sha256, actor: actorOf(req) }, 'agent release published');
    return reply.code(201).send(release);
  });
  app.get('/v1/agent-releases/:version', { config: { access: 'viewer' } }, async (req) => releases().get(versionOf(req)));
  app.post('/v1/agent-releases/:version/approve', { config: { access: 'releaser' } }, async (req) => {
    const body = parseInput(Approve, req.body ?? {});
    const release = await releases().approve(versionOf(req), body, actorOf(req));
    req.log.info({ version: release.version, canaryPercent: release.canaryPercent, actor: actorOf(req) }, 'agent release approved');
    nudge();
    return release;
  });
  app.post('/v1/agent-releases/:version/revoke', { config: { access: 'releaser' } }, async (req) => {
    const release = await releases().revoke(versionOf(req));
    req.log.info({ version: release.version, actor: actorOf(req) }, 'agent release revoked');
    nudge();
    return release;
  });
}
