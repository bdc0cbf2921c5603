import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import { messageId } from '../../domain/webhooks.ts';
import type { AttemptRow, DeliveryRow } from '../../engine/webhooks/store.ts';
import { endpointJson, type Webhooks } from '../../engine/webhooks/webhooks.ts';
import { parseInput } from '../problem.ts';
import { CreateWebhook, DeliveriesQuery } from '../schemas-webhooks.ts';

/** An endpoint is a URL and a few names. */
const WEBHOOK_BODY_LIMIT = 8 * 1024;

type Params = { id: string; deliveryId?: string };

const deliveryJson = (d: DeliveryRow & { attemptLog: AttemptRow[] }) => ({
  id: d.id,
  webhookId: messageId(d.id),
  eventType: d.eventType,
  eventId: d.eventId,
  instanceId: d.instanceId,
  status: d.status as 'pending' | 'delivering' | 'delivered' | 'failed',
  attempts: d.attempts,
  nextAttemptAt: d.nextAttemptAt.toISOString(),
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  lastLatencyMs: d.lastLatencyMs,
  createdAt: d.createdAt.toISOString(),
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
  attemptLog: d.attemptLog.map((a) => ({ at: a.at.toISOString(), statusCode: a.statusCode, latencyMs: a.latencyMs, error: a.error })),
});

/**
 * Outbound webhooks of the request's project (role `owner`: endpoint URLs can be credentials,
 * Slack's are): add (the secret is in this answer only), list, get, remove, send a test, the
 * delivery log, redeliver one (same `webhook-id`). Another project's endpoint is a 404.
 *
 * @example
 * registerWebhookRoutes(app, webhooks);
 */
export function registerWebhookRoutes(app: FastifyInstance, webhooks: Webhooks): void {
  const access = 'owner' as const;
  app.post('/v1/webhooks', { config: { access }, bodyLimit: WEBHOOK_BODY_LIMIT }, async (req, reply) => {
    const body = parseInput(CreateWebhook, req.body, 'body');
    const { endpoint, secret } = await webhooks.add(req.project, body, req.actor);
    return reply.code(201).send({ ...endpointJson(endpoint), secret });
  });
  app.get('/v1/webhooks', { config: { access } }, async (req) => ({ items: (await webhooks.store.listEndpoints(req.project)).map(endpointJson) }));
  app.get('/v1/webhooks/:id', { config: { access } }, async (req) => endpointJson(await webhooks.get(req.project, (req.params as Params).id)));
  app.delete('/v1/webhooks/:id', { config: { access } }, async (req, reply) => {
    const { id } = req.params as Params;
    if (!(await webhooks.store.removeEndpoint(req.project, id))) throw new NotFoundError('webhook', id.slice(0, 64));
    return reply.code(204).send();
  });
  app.post('/v1/webhooks/:id/test', { config: { access } }, async (req, reply) => {
    const d = await webhooks.test(req.project, (req.params as Params).id);
    return reply.code(202).send(deliveryJson({ ...d, attemptLog: [] }));
  });
  app.get('/v1/webhooks/:id/deliveries', { config: { access } }, async (req) => {
    const e = await webhooks.get(req.project, (req.params as Params).id);
    const q = parseInput(DeliveriesQuery, req.query, 'query');
    return { items: (await webhooks.store.deliveries(e.id, q.limit)).map(deliveryJson) };
  });
  app.post('/v1/webhooks/:id/deliveries/:deliveryId/redeliver', { config: { access } }, async (req, reply) => {
    const { id, deliveryId } = req.params as Params;
    const e = await webhooks.get(req.project, id);
    const d = await webhooks.store.redeliver(e.id, deliveryId!, new Date());
    if (!d) throw new NotFoundError('delivery', deliveryId!.slice(0, 64));
    webhooks.kick();
    const [full] = (await webhooks.store.deliveries(e.id, 200)).filter((x) => x.id === d.id);
    return reply.code(202).send(deliveryJson(full ?? { ...d, attemptLog: [] }));
  });
}
