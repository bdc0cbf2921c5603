import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { addressProblem, messageId, renderBody, type WebhookFormat, type WebhookPayload } from '../../domain/webhooks.ts';
import type { AttemptOutcome } from './store.ts';

/** Where endpoints may point: plain http and private addresses only when the operator said so. */
export interface AddressPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** The most of a response body read (and kept in the log); the rest is discarded unread. */
export const RESPONSE_BODY_CAP = 4096;

/**
 * Resolve `host` and check every address against the policy: the ones it may use, or an error
 * naming the address that is refused (a name with any refused address is refused).
 *
 * @example
 * await resolveAllowed('hooks.example.com', { allowHttp: false, allowPrivate: false }) // → ['93.184.216.34']
 */
export async function resolveAllowed(host: string, policy: AddressPolicy): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const addrs: LookupAddress[] = await new Promise((resolve, reject) => dnsLookup(bare, { all: true, verbatim: true }, (err, a) => (err ? reject(new Error(`cannot resolve ${bare}: ${err.code ?? err.message}`)) : resolve(a))));
  if (!addrs.length) throw new Error(`cannot resolve ${bare}: no address`);
  for (const a of addrs) {
    const problem = addressProblem(a.address, policy);
    if (problem) throw new Error(`${bare} resolves to ${a.address}, ${problem}`);
  }
  return addrs.map((a) => a.address);
}

/**
 * A `lookup` for http.request that resolves, checks the addresses (DNS rebinding: this is the
 * lookup the connection uses) and connects to the first one.
 */
function checkedLookup(policy: AddressPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    resolveAllowed(hostname, policy).then(
      (ips) => {
        const family = ips[0].includes(':') ? 6 : 4;
        if (options?.all) cb(null, [{ address: ips[0], family }]);
        else cb(null, ips[0], family);
      },
      (err: Error) => cb(err, '', 4),
    );
  }) as unknown as LookupFunction;
}

/** The three Standard Webhooks headers for `body`, signed with the endpoint's `whsec_` secret. */
export function signatureHeaders(deliveryId: string, secret: string, body: string, at: Date): Record<string, string> {
  const id = messageId(deliveryId);
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) };
}

/**
 * One delivery attempt: POST the rendered body with the signature headers to `url`, through the
 * checked lookup; no redirects followed (a 3xx is a failure), at most `timeoutMs` for the whole
 * exchange, at most RESPONSE_BODY_CAP bytes of the answer read.
 *
 * @example
 * const out = await sendOnce({ id, url, format: 'standard', secret, payload }, { timeoutMs: 10_000, policy, now: new Date() });
 * // → { statusCode: 204, error: null, latencyMs: 12 }
 */
export function sendOnce(
  d: { id: string; url: string; format: WebhookFormat; secret: string; payload: WebhookPayload },
  o: { timeoutMs: number; policy: AddressPolicy; now: Date },
): Promise<AttemptOutcome> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const body = renderBody(d.format, d.payload);
  let u: URL;
  try {
    u = new URL(d.url);
  } catch {
    return Promise.resolve({ statusCode: null, error: 'the endpoint URL is invalid', latencyMs: 0 });
  }
  if (u.protocol === 'http:' && !o.policy.allowHttp) return Promise.resolve({ statusCode: null, error: 'plain http is no longer allowed (HANGAR_WEBHOOK_ALLOW_HTTP)', latencyMs: 0 });
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (out: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(out);
    };
    const req = mod.request(
      u,
      {
        method: 'POST',
        lookup: checkedLookup(o.policy),
        agent: false,
        headers: { 'content-type': 'application/json', 'user-agent': 'Hangar-Webhooks/1', 'content-length': Buffer.byteLength(body), ...signatureHeaders(d.id, d.secret, body, o.now) },
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_BODY_CAP) res.destroy();
        });
        const finish = () => {
          const code = res.statusCode ?? null;
          const redirect = code !== null && code >= 300 && code < 400;
          done({ statusCode: code, error: redirect ? `redirect to ${String(res.headers.location ?? '?').slice(0, 200)} not followed` : code !== null && (code < 200 || code >= 300) ? `HTTP ${code}` : null, latencyMs: took() });
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    req.on('error', (err) => done({ statusCode: null, error: err.message.slice(0, 500), latencyMs: took() }));
    req.end(body);
  });
}
