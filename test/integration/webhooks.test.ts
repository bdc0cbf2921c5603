import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { runCli } from '../helpers/cli.ts';
import { processesMatching } from '../helpers/procs.ts';
import { startReceiver, type Received } from '../helpers/webhook-receiver.ts';

/** The flaky path fails twice, the slow path answers too late once, then both recover. */
const rx = await startReceiver({
  '/flaky': (n) => ({ status: n <= 2 ? 500 : 200 }),
  '/slow': (n) => ({ status: 200, delayMs: n === 1 ? 8_000 : 0 }),
});
let h: TestHangar;

beforeAll(async () => {
  h = await startTestHangar('webhooks', { webhooks: { allowHttp: true, allowPrivate: true, timeoutMs: 5_000, retryBaseMs: 200, pollMs: 100, unreachableMinutes: 0.03 } });
});
afterAll(async () => {
  await h?.close();
  await rx.close();
});

async function addEndpoint(path: string, events: string[], format = 'standard'): Promise<{ id: string; secret: string }> {
  const res = await h.api('/v1/webhooks', { method: 'POST', json: { url: rx.url(path), events, format } });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await res.json();
  expect(body.secret).toMatch(/^whsec_/);
  rx.secrets.set(path, body.secret);
  return body;
}

const deliveries = async (id: string) => (await (await h.api(`/v1/webhooks/${id}/deliveries`)).json()).items as { id: string; webhookId: string; status: string; eventType: string; attempts: number; attemptLog: { statusCode: number | null; error: string | null }[] }[];
const ofInstance = (all: Received[], path: string, id: string) => all.filter((r) => r.path === path && (r.json?.data?.instance ?? r.json?.instance)?.id === id);

describe('webhooks: endpoints', () => {
  it('validates the URL and events, naming the field; never returns the secret again', async () => {
    const bad = async (json: unknown, field: string) => {
      const res = await h.api('/v1/webhooks', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      const p = await res.json();
      expect(p.errors.map((e: { field: string }) => e.field), JSON.stringify(p)).toContain(field);
    };
    await bad({ url: 'http://169.254.169.254/latest/meta-data', events: ['*'] }, 'url');
    await bad({ url: 'http://[fe80::1]/x', events: ['*'] }, 'url');
    await bad({ url: 'http://100.100.100.200/x', events: ['*'] }, 'url');
    await bad({ url: 'ftp://example.com/x', events: ['*'] }, 'url');
    await bad({ url: 'http://user:pw@127.0.0.1/x', events: ['*'] }, 'url');
    await bad({ url: 'http://no-such-host.invalid/x', events: ['*'] }, 'url');
    await bad({ url: rx.url('/x'), events: ['instance.nope'] }, 'events.0');
    await bad({ url: rx.url('/x'), events: [] }, 'events');
    await bad({ url: rx.url('/x'), events: ['*'], format: 'teams' }, 'format');

    const ep = await addEndpoint('/list', ['instance.failed']);
    const list = await (await h.api('/v1/webhooks')).json();
    expect(list.items.map((e: { id: string }) => e.id)).toContain(ep.id);
    expect(JSON.stringify(list)).not.toContain(ep.secret);
    expect(JSON.stringify(await (await h.api(`/v1/webhooks/${ep.id}`)).json())).not.toContain(ep.secret);
    const row = (await h.webhooks.store.listEndpoints('default')).find((e) => e.id === ep.id)!;
    expect(row.secretSealed).not.toContain(ep.secret.slice(6));
    expect((await h.api(`/v1/webhooks/${ep.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.api(`/v1/webhooks/${ep.id}`)).status).toBe(404);
    expect((await h.api('/v1/webhooks/not-a-uuid')).status).toBe(404);
  });
});

describe('webhooks: deliveries', () => {
  it('delivers a real instance lifecycle, signed, in order, and a Slack alert', async () => {
    const all = await addEndpoint('/all', ['*']);
    const slack = await addEndpoint('/slack', ['instance.running'], 'slack');
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'hooked' } });
    const { id } = await res.json();
    await h.waitFor(id, (r) => r.status === 'running', 90_000);
    expect((await h.api(`/v1/instances/${id}`, { method: 'DELETE' })).status).toBe(202);
    await h.waitFor(id, (r) => r.status === 'stopped', 90_000);
    const got = await rx.until((a) => ofInstance(a, '/all', id).some((r) => r.json.type === 'instance.stopped'), 'instance.stopped');
    const mine = ofInstance(got, '/all', id);
    expect(mine.every((r) => r.verified)).toBe(true);
    const types = mine.map((r) => r.json.type);
    expect(types.filter((t) => !t.startsWith('instance.connect'))).toEqual(['instance.pending', 'instance.provisioning', 'instance.running', 'instance.stopping', 'instance.stopped']);
    expect(types).toContain('instance.connected');
    // In order: event ids increase along the receive order; each message once.
    const eventIds = mine.map((r) => r.json.data.event.id);
    expect(eventIds).toEqual([...eventIds].sort((a, b) => a - b));
    expect(new Set(mine.map((r) => r.id)).size).toBe(mine.length);

    const alert = await rx.until((a) => a.some((r) => r.path === '/slack'), 'the slack alert');
    const text = alert.find((r) => r.path === '/slack')!;
    expect(text.verified).toBe(true);
    expect(Object.keys(text.json)).toEqual(['text']);
    expect(text.json.text).toMatch(/instance hooked .* is running/);
    // The receiver answered before Hangar recorded the answer: wait for the log to catch up.
    await expect.poll(async () => (await deliveries(all.id)).filter((d) => d.status === 'delivered').length).toBeGreaterThanOrEqual(mine.length);
    const log = await deliveries(all.id);
    expect(log[0].attemptLog[0].statusCode).toBe(204);
    for (const e of [all, slack]) await h.api(`/v1/webhooks/${e.id}`, { method: 'DELETE' });
  });

  it('retries a failing receiver with the same webhook-id until it recovers; redelivers with the same id', async () => {
    const ep = await addEndpoint('/flaky', ['webhook.test']);
    expect((await h.api(`/v1/webhooks/${ep.id}/test`, { method: 'POST' })).status).toBe(202);
    const ok = (a: Received[]) => a.filter((r) => r.path === '/flaky' && r.status === 200);
    await rx.until((a) => ok(a).length === 1, 'the recovered delivery');
    expect(rx.counts.get('/flaky')).toBe(3);
    await expect.poll(async () => (await deliveries(ep.id))[0].status).toBe('delivered');
    const [d] = await deliveries(ep.id);
    expect(d.attempts).toBe(3);
    expect(d.attemptLog.map((a) => a.statusCode)).toEqual([200, 500, 500]);
    expect(rx.received.filter((r) => r.path === '/flaky').map((r) => [r.status, r.id, r.verified])).toEqual([500, 500, 200].map((s) => [s, d.webhookId, true]));
    expect((await h.api(`/v1/webhooks/${ep.id}/deliveries/${d.id}/redeliver`, { method: 'POST' })).status).toBe(202);
    const again = await rx.until((a) => ok(a).length === 2, 'the redelivery');
    expect(ok(again).map((r) => r.id)).toEqual([d.webhookId, d.webhookId]);
  });

  it('times a slow receiver out and retries with the same webhook-id', async () => {
    const ep = await addEndpoint('/slow', ['webhook.test']);
    await h.api(`/v1/webhooks/${ep.id}/test`, { method: 'POST' });
    await rx.until((a) => a.some((r) => r.path === '/slow'), 'the delivery after the timeout', 40_000);
    const [d] = await deliveries(ep.id);
    await expect.poll(async () => (await deliveries(ep.id))[0].status).toBe('delivered');
    const log = (await deliveries(ep.id))[0].attemptLog;
    expect(log).toHaveLength(2);
    expect(log[1].error).toMatch(/no answer within 5000 ms/);
    expect(rx.received.filter((r) => r.path === '/slow').every((r) => r.id === d.webhookId && r.verified)).toBe(true);
  });

  it('alerts instance.unreachable when a lost connection does not come back', async () => {
    const ep = await addEndpoint('/alerts', ['instance.connection_lost', 'instance.unreachable'], 'json');
    const { id } = await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'lost' } })).json();
    const row = await h.waitFor(id, (r) => r.status === 'running', 90_000);
    // Freeze the agent (and its supervisor): heartbeats stop, the hub calls the connection lost.
    const frozen = processesMatching('--state-dir', join(h.dataDir, 'local-servers', row.serverId!));
    for (const p of frozen) process.kill(p.pid, 'SIGSTOP');
    let got: Received[];
    try {
      got = await rx.until((a) => ofInstance(a, '/alerts', id).some((r) => r.json.type === 'instance.unreachable'), 'instance.unreachable');
    } finally {
      for (const p of frozen) process.kill(p.pid, 'SIGCONT');
    }
    const mine = ofInstance(got, '/alerts', id);
    const types = mine.map((r) => r.json.type);
    expect(types[0]).toBe('instance.connection_lost');
    expect(types.filter((t) => t === 'instance.unreachable')).toHaveLength(1);
    expect(types.at(-1)).toBe('instance.unreachable');
    expect(mine.at(-1)!.json.text).toMatch(/instance lost .* is unreachable: agent unreachable/);
    expect(mine.every((r) => r.verified)).toBe(true);
    await h.api(`/v1/webhooks/${ep.id}`, { method: 'DELETE' });
    expect((await h.api(`/v1/instances/${id}`, { method: 'DELETE' })).status).toBe(202);
    await h.waitFor(id, (r) => r.status === 'stopped', 60_000);
  });
});

describe('hangar webhook (CLI)', () => {
  it('adds (secret once), lists, tests, shows deliveries, redelivers and removes', async () => {
    const add = await runCli(h, ['webhook', 'add', rx.url('/cli'), '--events', 'webhook.test,instance.failed', '--format', 'json']);
    expect(add.code, add.stderr).toBe(0);
    const secret = /signing secret \(shown once\): (whsec_\S+)/.exec(add.stdout)![1];
    const id = /webhook ([0-9a-f-]{36})/.exec(add.stdout)![1];
    rx.secrets.set('/cli', secret);
    const ls = await runCli(h, ['webhook', 'ls']);
    expect(ls.stdout).toContain(id);
    expect(ls.stdout).not.toContain(secret);
    expect((await runCli(h, ['webhook', 'test', id])).code).toBe(0);
    await rx.until((a) => a.some((r) => r.path === '/cli' && r.verified && r.json.type === 'webhook.test'), 'the CLI test delivery');
    await expect.poll(async () => (await runCli(h, ['webhook', 'deliveries', id])).stdout).toMatch(/webhook\.test\s+delivered\s+\d+\s+204/);
    const [d] = JSON.parse((await runCli(h, ['webhook', 'deliveries', id, '--json'])).stdout);
    const re = await runCli(h, ['webhook', 'redeliver', id, d.id]);
    expect(re.stdout).toContain(d.webhookId);
    await rx.until((a) => a.filter((r) => r.path === '/cli' && r.id === d.webhookId).length === 2, 'the redelivery');
    const bad = await runCli(h, ['webhook', 'add', 'http://169.254.169.254/x', '--events', '*']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/URL|link-local/);
    expect((await runCli(h, ['webhook', 'rm', id])).code).toBe(0);
    expect((await runCli(h, ['webhook', 'ls'])).stdout).not.toContain(id);
  }, 240_000); // ten CLI processes on a loaded machine
});
