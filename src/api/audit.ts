import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { auditObject } from '../domain/audit.ts';
import { recordAudit, type AuditEntry } from '../engine/audit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A read that is audited like a write (logs, status, credentials, the audit log itself). */
    sensitive?: boolean;
  }
  interface FastifyRequest {
    /** What the response said, for the audit row: the created object's id, a problem's detail. */
    auditNote: { objectId?: string; reason?: string } | null;
  }
}

/** Methods that change nothing (audited only when the route is `sensitive`). */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Reads of existing routes audited like writes (declared here so the route table stays as it is;
 * a new route says `config: { sensitive: true }` itself).
 */
export const SENSITIVE_READS: ReadonlySet<string> = new Set(['GET /v1/instances/:id/status', 'GET /v1/instances/:id/logs']);
/** Largest response body looked into for an id or a problem's detail. */
const PEEK_BYTES = 16 * 1024;

/** Whether a request leaves an audit row: every matched mutating call, and sensitive reads. */
export function isAudited(req: FastifyRequest): boolean {
  if (req.is404 && !req.routeOptions.url) return false;
  if (!req.routeOptions.url) return false;
  return !READS.has(req.method) || req.routeOptions.config.sensitive === true;
}

/**
 * Record every mutating call and every sensitive read as one audit row, after the response is sent
 * (who, the route pattern, the object from the path or a created object's id, the address and user
 * agent, the HTTP status, a failure's detail, the redacted query and body). A failed write is logged
 * and never fails the request.
 *
 * @example
 * installAudit(app, { db: engine.store.db, log });
 * app.get('/v1/instances/:id/logs', { config: { access: 'operator', sensitive: true } }, handler);
 */
export function installAudit(app: FastifyInstance, deps: { db: Db; log: Logger; record?: (e: AuditEntry) => Promise<unknown> }): void {
  const record = deps.record ?? ((e: AuditEntry) => recordAudit(deps.db, e));
  app.decorateRequest('auditNote', null);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.some((m) => SENSITIVE_READS.has(`${m} ${route.url}`))) route.config = { ...route.config, sensitive: true };
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (!isAudited(req) || typeof payload !== 'string' || payload.length > PEEK_BYTES || !payload.startsWith('{')) return payload;
    try {
      const body = JSON.parse(payload) as { id?: unknown; detail?: unknown };
      const note: { objectId?: string; reason?: string } = {};
      if (reply.statusCode >= 400 && typeof body.detail === 'string') note.reason = body.detail.slice(0, 500);
      else if (reply.statusCode < 300 && (typeof body.id === 'string' || typeof body.id === 'number')) note.objectId = String(body.id).slice(0, 200);
      req.auditNote = { ...note, ...req.auditNote };
    } catch {
      // not JSON: nothing to note
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    if (!isAudited(req)) return;
    const url = req.routeOptions.url!;
    const object = auditObject(url, (req.params ?? {}) as Record<string, string>);
    const query = req.query && typeof req.query === 'object' && Object.keys(req.query).length ? (req.query as Record<string, unknown>) : undefined;
    const body = req.body !== undefined && req.body !== null && !Buffer.isBuffer(req.body) ? req.body : undefined;
    const data = query || body !== undefined ? { ...(query ? { query } : {}), ...(body !== undefined ? { body } : {}) } : null;
    try {
      await record({
        actor: req.actor ?? 'anonymous',
        project: req.project,
        action: `${req.method} ${url}`,
        objectType: object.type,
        objectId: object.id ?? req.auditNote?.objectId ?? null,
        ip: req.ip,
        userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
        outcome: reply.statusCode,
        reason: req.auditNote?.reason ?? null,
        data,
      });
    } catch (err) {
      deps.log.error({ err, action: `${req.method} ${url}` }, 'writing the audit row failed');
    }
  });
}
