import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { listAudit, type AuditFilter, type AuditRow } from '../../engine/audit.ts';
import { parseInput } from '../problem.ts';
import { AuditQuery } from '../inputs-audit.ts';
import type { RouteContext } from './context.ts';

/** One audit row as the API shows it. */
export const auditJson = (r: AuditRow) => ({
  id: String(r.id),
  at: r.at.toISOString(),
  actor: r.actor,
  actorKind: r.actorKind,
  project: r.project,
  action: r.action,
  objectType: r.objectType,
  objectId: r.objectId,
  ip: r.ip,
  userAgent: r.userAgent,
  outcome: r.outcome,
  reason: r.reason,
  data: r.data ?? null,
});

/** The filter a caller may use: installation admins any project (or all), everyone else their own. */
function filterOf(req: FastifyRequest, q: z.infer<typeof AuditQuery>): AuditFilter {
  return {
    actor: q.actor,
    action: q.action,
    object: q.object,
    project: req.grant === 'admin' ? q.project : req.project,
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    before: q.cursor,
    after: q.after,
    limit: q.limit,
  };
}

/**
 * The audit log: `GET /v1/audit` (owners of a project see its rows, installation admins all),
 * paged by cursor or followed with `after`, or exported as streamed JSON lines. Reading it is
 * itself audited.
 *
 * @example
 * registerAuditRoutes(app, ctx);
 */
export function registerAuditRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const db = ctx.engine.store.db;
  app.get('/v1/audit', { config: { access: 'owner', sensitive: true } }, async (req, reply) => {
    const q = parseInput(AuditQuery, req.query, 'query');
    const filter = filterOf(req, q);
    if (q.format === 'jsonl') {
      const pages = async function* () {
        let before = filter.before;
        for (;;) {
          const rows = await listAudit(db, { ...filter, after: undefined, before, limit: 500 });
          for (const r of rows) yield `${JSON.stringify(auditJson(r))}\n`;
          if (rows.length < 500) return;
          before = rows[rows.length - 1].id;
        }
      };
      reply.header('content-disposition', 'attachment; filename="hangar-audit.jsonl"');
      return reply.type('application/x-ndjson').send(Readable.from(pages()));
    }
    const rows = await listAudit(db, filter);
    const last = rows[rows.length - 1];
    return { items: rows.map(auditJson), nextCursor: rows.length === q.limit && q.after === undefined && last ? String(last.id) : null };
  });
}
