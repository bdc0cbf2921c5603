/**
 * The webhook routes' part of the OpenAPI document (src/api/openapi.ts spreads it into `paths`).
 */
import { z } from 'zod';
import { CreateWebhook, DeliveriesQuery } from './schemas-webhooks.ts';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (s: Json) => ({ 'application/json': { schema: s } });
const ok = (description: string, s: Json) => ({ description, content: json(s) });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'the endpoint id (another project’s is a 404)' };
const deliveryId = { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const limit = { name: 'limit', in: 'query', required: false, schema: (schema(DeliveriesQuery) as { properties: Record<string, Json> }).properties.limit };
const notFound = problem('No such webhook endpoint in this project');
const tags = ['webhooks'];

export const WEBHOOK_PATHS: Record<string, Record<string, Json>> = {
  '/v1/webhooks': {
    post: { operationId: 'createWebhook', tags, summary: 'Add an endpoint: events are POSTed to it signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature); the whsec_ secret is in this answer only. Role owner.', requestBody: { required: true, content: json(schema(CreateWebhook)) }, responses: { 201: ok('Added, with its secret', ref('WebhookEndpointCreated')), 400: problem('Invalid input; `errors` names the field (url: scheme, or where its host resolves)') } },
    get: { operationId: 'listWebhooks', tags, summary: 'The project’s endpoints (never their secrets)', responses: { 200: ok('Endpoints', ref('WebhookEndpointList')) } },
  },
  '/v1/webhooks/{id}': {
    get: { operationId: 'getWebhook', tags, parameters: [id], responses: { 200: ok('The endpoint', ref('WebhookEndpoint')), 404: notFound } },
    delete: { operationId: 'deleteWebhook', tags, summary: 'Remove the endpoint and its delivery log', parameters: [id], responses: { 204: { description: 'Removed' }, 404: notFound } },
  },
  '/v1/webhooks/{id}/test': { post: { operationId: 'testWebhook', tags, summary: 'Queue a webhook.test message to the endpoint (signed and logged like any delivery)', parameters: [id], responses: { 202: ok('Queued', ref('WebhookDelivery')), 404: notFound } } },
  '/v1/webhooks/{id}/deliveries': { get: { operationId: 'listWebhookDeliveries', tags, summary: 'The delivery log, newest first: status, attempts, status codes, latency, errors', parameters: [id, limit], responses: { 200: ok('Deliveries', ref('WebhookDeliveryList')), 400: problem('Invalid query'), 404: notFound } } },
  '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': { post: { operationId: 'redeliverWebhook', tags, summary: 'Send a delivery again, with the same webhook-id', parameters: [id, deliveryId], responses: { 202: ok('Queued again', ref('WebhookDelivery')), 404: problem('No such endpoint or delivery') } } },
};
