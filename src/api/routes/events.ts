import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HangarError } from '../../domain/errors.ts';
import { EventsQuery } from '../inputs.ts';
import { parseInput } from '../problem.ts';
import { eventJson } from '../serialize.ts';
import type { RouteContext } from './context.ts';
import { instanceIdOf, lastEventId } from './params.ts';

/** Event streams one process serves at once; beyond it a new stream gets 503 with Retry-After. */
export const MAX_EVENT_STREAMS = 2000;


/**
 * Event logs: one instance's or every instance's, as JSON pages or SSE (`Accept:
 * text/event-stream`: replays after `Last-Event-ID` / `?after=`, then follows).
 *
 * @example
 * registerEventRoutes(app, ctx);
 */
export function registerEventRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const store = ctx.engine.store;
  let streams = 0;

  const page = async (req: FastifyRequest, reply: FastifyReply, instanceId: string | null) => {
    const q = parseInput(EventsQuery, req.query, 'query');
    const lastId = lastEventId(req.headers['last-event-id'], q.after);
    if ((req.headers.accept ?? '').includes('text/event-stream')) return stream(req, reply, instanceId, lastId);
    const rows = instanceId ? await store.events(instanceId, { after: lastId, limit: q.limit }) : await store.allEvents({ after: lastId, limit: q.limit, project: req.project });
    return { items: rows.map(eventJson), nextCursor: rows.length === q.limit ? String(rows[rows.length - 1].id) : null };
  };

  app.get('/v1/instances/:id/events', { config: { access: 'viewer' } }, async (req, reply) => {
    const id = instanceIdOf(req);
    await store.get(id);
    return page(req, reply, id);
  });

  /** Every instance's events, for dashboards: same rows, SSE or JSON. */
  app.get('/v1/events', { config: { access: 'viewer' } }, async (req, reply) => page(req, reply, null));

  /** SSE: replay rows after `lastId`, then follow; each frame's `id:` is the event id. */
  async function stream(req: FastifyRequest, reply: FastifyReply, instanceId: string | null, lastId: number) {
    if (streams >= MAX_EVENT_STREAMS) throw Object.assign(new HangarError('unavailable', `this replica already serves ${MAX_EVENT_STREAMS} event streams; retry later or use another replica`, 503), { retryAfter: 5 });
    streams++;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
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
            const rows = instanceId ? await store.events(instanceId, { after: cursor, limit: 500 }) : await store.allEvents({ after: cursor, limit: 500, project: req.project });
            for (const e of rows) {
              res.write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(eventJson(e))}\n\n`);
              cursor = e.id;
            }
            if (rows.length < 500 || closed) break;
          }
        } while (again && !closed);
      } catch (err) {
        req.log.warn({ err }, 'sse pump failed');
      } finally {
        busy = false;
      }
    };
    const unsubscribe = ctx.bus.subscribe(instanceId, () => void pump());
    // A slow poll as well, for events written by replicas whose NOTIFY we missed.
    const poll = setInterval(() => void pump(), 2000);
    const ping = setInterval(() => res.write(': ping\n\n'), 15000);
    req.raw.on('close', () => {
      closed = true;
      streams--;
      unsubscribe();
      clearInterval(poll);
      clearInterval(ping);
    });
    await pump();
  }
}
