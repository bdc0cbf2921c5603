import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { addressProblem, alertText, messageId, newWebhookSecret, renderBody, retryDelayMs, urlProblem, type WebhookPayload } from './webhooks.ts';

const payload: WebhookPayload = {
  type: 'instance.unreachable',
  timestamp: '2026-12-03T12:00:00.000Z',
  data: {
    instance: { id: '7f1c9a52-0000-4000-8000-000000000001', name: 'web-1', project: 'default', provider: 'local', status: 'running', connection: 'disconnected', serverId: 'local-1' },
    event: { id: 7, kind: 'warning', from: null, to: null, step: null, reason: 'connection lost 5 min ago', actor: 'webhooks', data: { alert: 'unreachable' } },
  },
};

describe('addressProblem', () => {
  it('refuses link-local and metadata addresses even when private ones are allowed', () => {
    for (const ip of ['169.254.169.254', '169.254.1.1', 'fe80::1', '100.100.100.200', 'fd00:ec2::254', '::ffff:169.254.169.254', '0.0.0.0', '224.0.0.1']) {
      expect(addressProblem(ip, { allowPrivate: true }), ip).toMatch(/link-local or cloud metadata/);
    }
  });
  it('refuses private and loopback ranges unless allowed', () => {
    for (const ip of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '127.0.0.1', '::1', 'fd12:3456::1', '100.64.0.1', '::ffff:127.0.0.1']) {
      expect(addressProblem(ip, { allowPrivate: false }), ip).toMatch(/HANGAR_WEBHOOK_ALLOW_PRIVATE/);
      expect(addressProblem(ip, { allowPrivate: true }), ip).toBeNull();
    }
  });
  it('allows public addresses', () => {
    for (const ip of ['93.184.216.34', '2606:2800:220:1::1']) expect(addressProblem(ip, { allowPrivate: false })).toBeNull();
  });
});

describe('urlProblem', () => {
  it('wants https unless plain http is allowed, and no credentials', () => {
    expect(urlProblem('https://hooks.example.com/x', { allowHttp: false })).toBeNull();
    expect(urlProblem('http://hooks.example.com/x', { allowHttp: false })).toMatch(/HANGAR_WEBHOOK_ALLOW_HTTP/);
    expect(urlProblem('http://hooks.example.com/x', { allowHttp: true })).toBeNull();
    expect(urlProblem('ftp://hooks.example.com/x', { allowHttp: true })).toMatch(/https/);
    expect(urlProblem('https://u:p@hooks.example.com/x', { allowHttp: false })).toMatch(/user name or password/);
    expect(urlProblem('not a url', { allowHttp: true })).toBe('not a URL');
    expect(urlProblem(`https://e.com/${'a'.repeat(2050)}`, { allowHttp: true })).toMatch(/2048/);
  });
});

describe('retryDelayMs', () => {
  it('doubles per attempt, capped at an hour, jittered ±50 %', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(40, 1000, () => 0.5)).toBe(3_600_000);
    expect(retryDelayMs(2, 1000, () => 0)).toBe(1000);
    expect(retryDelayMs(2, 1000, () => 0.999)).toBeLessThan(3000);
  });
});

describe('bodies and secrets', () => {
  it('renders Slack { text }, flat JSON and the envelope', () => {
    expect(JSON.parse(renderBody('slack', payload))).toEqual({ text: 'Hangar: instance web-1 (local, default) is unreachable: connection lost 5 min ago' });
    const flat = JSON.parse(renderBody('json', payload));
    expect(flat).toMatchObject({ type: 'instance.unreachable', instance: { name: 'web-1' }, text: alertText(payload) });
    expect(JSON.parse(renderBody('standard', payload))).toEqual(payload);
  });
  it('makes whsec_ secrets the standardwebhooks package signs and verifies with', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const id = messageId('7f1c9a52-0000-4000-8000-000000000001');
    expect(id).toBe('msg_7f1c9a5200004000800000000000000' + '1');
    const body = renderBody('standard', payload);
    const now = new Date();
    const sig = new Webhook(secret).sign(id, now, body);
    expect(sig).toMatch(/^v1,/);
    expect(new Webhook(secret).verify(body, { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': sig })).toEqual(payload);
  });
});
