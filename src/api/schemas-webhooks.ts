/**
 * The webhook API's inputs (zod, parsed by src/api/routes/webhooks.ts) and response shapes
 * (registered in RESPONSES, so they are components of the OpenAPI document and the contract).
 */
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_FORMATS } from '../domain/webhooks.ts';
import { RESPONSES } from './schemas.ts';
import { storableText } from './text.ts';

const instant = () => z.string().meta({ format: 'date-time' });

/** `POST /v1/webhooks` body. */
export const CreateWebhook = z
  .object({
    url: storableText(z.string().min(1).max(2048)).describe('https (http only with HANGAR_WEBHOOK_ALLOW_HTTP=1); its host must not resolve to link-local, metadata or (without HANGAR_WEBHOOK_ALLOW_PRIVATE=1) private addresses'),
    events: z.array(z.enum(['*', ...WEBHOOK_EVENT_TYPES])).min(1).max(WEBHOOK_EVENT_TYPES.length + 1).describe('event types to receive; "*" for all'),
    format: z.enum(WEBHOOK_FORMATS).default('standard').describe('standard: the Standard Webhooks envelope; slack: { text } for Slack-compatible incoming webhooks; json: one flat object with a text line'),
  })
  .strict();

export const DeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

export const WebhookEndpoint = z.object({
  id: z.uuid(),
  project: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  format: z.enum(WEBHOOK_FORMATS),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  failingSince: instant().nullable().describe('every attempt has failed since then; 24 h of it disables the endpoint'),
  createdAt: instant(),
  createdBy: z.string().nullable(),
});
export const WebhookEndpointCreated = WebhookEndpoint.extend({ secret: z.string().describe('whsec_…: the signing secret, shown only in this answer') });
export const WebhookEndpointList = z.object({ items: z.array(WebhookEndpoint) });
export const WebhookAttempt = z.object({ at: instant(), statusCode: z.number().nullable(), latencyMs: z.number(), error: z.string().nullable() });
export const WebhookDelivery = z.object({
  id: z.uuid(),
  webhookId: z.string().describe('the webhook-id header: the same on every retry and redelivery'),
  eventType: z.string(),
  eventId: z.number().nullable(),
  instanceId: z.uuid().nullable(),
  status: z.enum(['pending', 'delivering', 'delivered', 'failed']),
  attempts: z.number(),
  nextAttemptAt: instant(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  lastLatencyMs: z.number().nullable(),
  createdAt: instant(),
  deliveredAt: instant().nullable(),
  attemptLog: z.array(WebhookAttempt).describe('newest first, at most 20'),
});
export const WebhookDeliveryList = z.object({ items: z.array(WebhookDelivery) });

for (const [id, s] of Object.entries({ WebhookEndpoint, WebhookEndpointCreated, WebhookEndpointList, WebhookAttempt, WebhookDelivery, WebhookDeliveryList })) RESPONSES.add(s, { id });
