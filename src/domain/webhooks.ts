/**
 * Outbound webhooks, the pure part: which events exist, which URLs and addresses an endpoint may
 * use, how long to wait before the next attempt, and what a Slack or plain-JSON alert says.
 * Delivery itself (DNS, HTTP, the queue) is src/engine/webhooks/.
 */
import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/**
 * The events an endpoint can subscribe to (`*` subscribes to all). The trigger in migration
 * 0011 maps event-log rows onto them (`hangar_webhook_type`): transitions to `instance.<status>`,
 * connection facts, failed smoke tests, orphans, agent rollbacks, the unreachable alarm, and the
 * kinds economics writes (idle_stop, ttl_expired, budget_warning).
 */
export const WEBHOOK_EVENT_TYPES = [
  'instance.pending',
  'instance.provisioning',
  'instance.running',
  'instance.stopping',
  'instance.stopped',
  'instance.failed',
  'instance.connected',
  'instance.connect_timeout',
  'instance.connection_lost',
  'instance.connection_back',
  'instance.unreachable',
  'instance.smoke_failed',
  'instance.idle_stopped',
  'instance.ttl_expired',
  'budget.warning',
  'orphan.found',
  'orphan.deleted',
  'release.rolled_back',
  'webhook.test',
  'webhook.disabled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** How a delivery's body looks: Standard Webhooks envelope, Slack's `{ text }`, or flat JSON. */
export const WEBHOOK_FORMATS = ['standard', 'slack', 'json'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** A delivery's payload as the trigger writes it (the Standard Webhooks envelope). */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: {
    instance?: { id: string; name: string | null; project: string; provider: string | null; status: string | null; connection: string | null; serverId: string | null };
    event?: { id: number; kind: string; from: string | null; to: string | null; step: string | null; reason: string | null; actor: string; data: unknown };
    [k: string]: unknown;
  };
}

/**
 * A new signing secret, Standard Webhooks style: `whsec_` and base64 of 24 random bytes.
 *
 * @example
 * newWebhookSecret() // → 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Addresses no endpoint may ever resolve to: cloud metadata services. */
const METADATA = new Set(['169.254.169.254', '100.100.100.200', 'fd00:ec2::254', '168.63.129.16']);
const ALWAYS_REFUSED = new Set(['unspecified', 'linkLocal', 'multicast', 'broadcast', 'reserved', 'deprecatedSiteLocal']);
const PRIVATE = new Set(['private', 'loopback', 'uniqueLocal', 'carrierGradeNat']);

/**
 * Why a webhook may not be delivered to `ip`, or null when it may: link-local and metadata
 * addresses never; private, loopback and unique-local ones only with `allowPrivate`.
 *
 * @example
 * addressProblem('169.254.169.254', { allowPrivate: true }) // → 'a link-local or cloud metadata address'
 * addressProblem('10.0.0.5', { allowPrivate: false })        // → 'a private or loopback address …'
 * addressProblem('93.184.216.34', { allowPrivate: false })   // → null
 */
export function addressProblem(ip: string, opts: { allowPrivate: boolean }): string | null {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  if (METADATA.has(addr.toNormalizedString()) || METADATA.has(addr.toString()) || ALWAYS_REFUSED.has(range)) return 'a link-local or cloud metadata address';
  if (PRIVATE.has(range) && !opts.allowPrivate) return 'a private or loopback address (set HANGAR_WEBHOOK_ALLOW_PRIVATE=1 to allow them)';
  return null;
}

/**
 * Why `raw` cannot be a webhook URL, or null: http(s) only, https unless `allowHttp`, no
 * credentials in it, at most 2048 characters. (Where its host resolves to is checked on use.)
 *
 * @example
 * urlProblem('http://example.com/hook', { allowHttp: false }) // → 'must be https (…)'
 */
export function urlProblem(raw: string, opts: { allowHttp: boolean }): string | null {
  if (raw.length > 2048) return 'at most 2048 characters';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an https URL';
  if (u.protocol === 'http:' && !opts.allowHttp) return 'must be https (set HANGAR_WEBHOOK_ALLOW_HTTP=1 to allow plain http)';
  if (u.username || u.password) return 'must not carry a user name or password (put a token in the path or use the signature)';
  if (!u.hostname) return 'has no host';
  return null;
}

/**
 * Milliseconds before attempt `attempt + 1` after `attempt` failures: exponential from
 * `baseMs`, capped at an hour, with ±50 % jitter (`random` in [0, 1)).
 *
 * @example
 * retryDelayMs(1, 5_000, () => 0.5) // → 5000
 * retryDelayMs(3, 5_000, () => 0.5) // → 20000
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
  return Math.round(exp * (0.5 + random()));
}

/**
 * One line a person reads: what happened to which instance, and why.
 *
 * @example
 * alertText({ type: 'instance.unreachable', timestamp: '…', data: { instance: { name: 'web-1', … }, event: { reason: 'no heartbeat for 300s', … } } })
 * // → 'Hangar: instance web-1 (local, default) is unreachable: no heartbeat for 300s'
 */
export function alertText(p: WebhookPayload): string {
  const what = p.type.replace(/^[a-z]+\./, '').replace(/_/g, ' ');
  const i = p.data.instance;
  const subject = i ? `instance ${i.name ?? i.id} (${i.provider ?? '?'}, ${i.project})` : p.type.split('.')[0];
  const verb = /^(pending|provisioning|running|stopping|stopped|failed|connected|unreachable)$/.test(what) ? `is ${what}` : what;
  const reason = p.data.event?.reason ?? (typeof p.data.message === 'string' ? p.data.message : null);
  return `Hangar: ${subject} ${verb}${reason ? `: ${reason}` : ''}`;
}

/**
 * The HTTP body of a delivery in `format`: the envelope itself (standard), Slack's `{ text }`,
 * or one flat object (json) with the text, the type, the instance and the event.
 *
 * @example
 * renderBody('slack', payload) // → '{"text":"Hangar: instance web-1 (local, default) is running"}'
 */
export function renderBody(format: WebhookFormat, p: WebhookPayload): string {
  if (format === 'slack') return JSON.stringify({ text: alertText(p) });
  if (format === 'json') return JSON.stringify({ type: p.type, timestamp: p.timestamp, text: alertText(p), instance: p.data.instance ?? null, event: p.data.event ?? null });
  return JSON.stringify(p);
}

/** The `webhook-id` of a delivery: `msg_` and its row id without dashes. */
export const messageId = (deliveryId: string): string => `msg_${deliveryId.replace(/-/g, '')}`;
