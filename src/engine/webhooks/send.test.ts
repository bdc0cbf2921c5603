import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, type WebhookPayload } from '../../domain/webhooks.ts';
import { resolveAllowed, sendOnce } from './send.ts';

let server: Server;
let base = '';
const seen: { headers: Record<string, string>; body: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ headers: req.headers as Record<string, string>, body });
      if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      if (req.url === '/big') return res.writeHead(200).end('x'.repeat(1_000_000));
      if (req.url === '/slow') return setTimeout(() => res.writeHead(200).end(), 2_000);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://localhost:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const payload: WebhookPayload = { type: 'webhook.test', timestamp: new Date().toISOString(), data: { message: 'hi' } };
const open = { allowHttp: true, allowPrivate: true };
const id = '7f1c9a52-0000-4000-8000-000000000001';

describe('resolveAllowed', () => {
  it('checks every address a name resolves to', async () => {
    await expect(resolveAllowed('localhost', { allowHttp: true, allowPrivate: false })).rejects.toThrow(/resolves to .*private or loopback/);
    expect(await resolveAllowed('localhost', open)).not.toHaveLength(0);
    await expect(resolveAllowed('169.254.169.254', open)).rejects.toThrow(/link-local or cloud metadata/);
    await expect(resolveAllowed('[fe80::1]', open)).rejects.toThrow(/link-local/);
    await expect(resolveAllowed('no-such-host.invalid', open)).rejects.toThrow(/cannot resolve/);
  });
});

describe('sendOnce', () => {
  it('POSTs the body with Standard Webhooks headers a receiver verifies', async () => {
    const secret = newWebhookSecret();
    const out = await sendOnce({ id, url: `${base}/ok`, format: 'standard', secret, payload }, { timeoutMs: 5_000, policy: open, now: new Date() });
    expect(out).toMatchObject({ statusCode: 204, error: null });
    const got = seen.at(-1)!;
    expect(got.headers['webhook-id']).toBe('msg_7f1c9a5200004000800000000000000' + '1');
    expect(new Webhook(secret).verify(got.body, got.headers)).toEqual(payload);
  });
  it('refuses at connect time what the policy refuses (DNS is checked on every attempt)', async () => {
    const out = await sendOnce({ id, url: `${base}/ok`, format: 'standard', secret: newWebhookSecret(), payload }, { timeoutMs: 5_000, policy: { allowHttp: true, allowPrivate: false }, now: new Date() });
    expect(out.statusCode).toBeNull();
    expect(out.error).toMatch(/private or loopback/);
    const http = await sendOnce({ id, url: `${base}/ok`, format: 'standard', secret: newWebhookSecret(), payload }, { timeoutMs: 5_000, policy: { allowHttp: false, allowPrivate: true }, now: new Date() });
    expect(http.error).toMatch(/HANGAR_WEBHOOK_ALLOW_HTTP/);
  });
  it('follows no redirect, caps the answer, and times out', async () => {
    const redirect = await sendOnce({ id, url: `${base}/redirect`, format: 'slack', secret: newWebhookSecret(), payload }, { timeoutMs: 5_000, policy: open, now: new Date() });
    expect(redirect).toMatchObject({ statusCode: 302, error: 'redirect to http://169.254.169.254/ not followed' });
    const big = await sendOnce({ id, url: `${base}/big`, format: 'json', secret: newWebhookSecret(), payload }, { timeoutMs: 5_000, policy: open, now: new Date() });
    expect(big.statusCode).toBe(200);
    const slow = await sendOnce({ id, url: `${base}/slow`, format: 'standard', secret: newWebhookSecret(), payload }, { timeoutMs: 300, policy: open, now: new Date() });
    expect(slow).toMatchObject({ statusCode: null, error: 'no answer within 300 ms' });
  });
});
