import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../helpers/db.ts';
import { freePort, spawnHangar, type HangarProcess } from '../helpers/process.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-webhooks-crash-'));
// The first request is never answered: Hangar is killed while it is in flight.
const rx = await startReceiver({ '/crash': (n) => (n === 1 ? 'hang' : { status: 200 }) });
let current: HangarProcess | null = null;
let dropDb: () => Promise<void> = async () => {};

afterAll(async () => {
  await current?.kill('SIGTERM');
  await rx.close();
  await dropDb();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('kill -9 of Hangar mid-delivery', () => {
  it('delivers every message after a restart, duplicates only with the same webhook-id', async () => {
    const db = await testDatabase('webhooks_crash');
    dropDb = db.drop;
    const port = await freePort();
    const env = { HANGAR_DATA_DIR: dataDir, DATABASE_URL: db.url ?? '', HANGAR_WEBHOOK_ALLOW_HTTP: '1', HANGAR_WEBHOOK_ALLOW_PRIVATE: '1', HANGAR_WEBHOOK_TIMEOUT_MS: '1500', HANGAR_WEBHOOK_RETRY_BASE_MS: '200', HANGAR_WEBHOOK_POLL_MS: '100' };
    current = spawnHangar(env, port);
    const key = (await current.ready)!;
    const api = (path: string, init: RequestInit = {}) => fetch(`${current!.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers as object) } });
    const created = await (await api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: rx.url('/crash'), events: ['webhook.test'] }) })).json();
    rx.secrets.set('/crash', created.secret);
    for (let i = 0; i < 5; i++) expect((await api(`/v1/webhooks/${created.id}/test`, { method: 'POST' })).status).toBe(202);
    await rx.until(() => (rx.counts.get('/crash') ?? 0) >= 1, 'the first attempt');
    await current.kill('SIGKILL');

    current = spawnHangar(env, port);
    expect(await current.ready).toBeNull();
    const items = async () => (await (await api(`/v1/webhooks/${created.id}/deliveries`)).json()).items as { webhookId: string; status: string; attempts: number; attemptLog: unknown[] }[];
    await expect.poll(async () => (await items()).map((d) => d.status), { timeout: 150_000, interval: 250 }).toEqual(Array(5).fill('delivered'));
    const ids = new Set((await items()).map((d) => d.webhookId));
    const got = rx.received.filter((r) => r.path === '/crash');
    expect(got.every((r) => r.verified)).toBe(true);
    expect(new Set(got.map((r) => r.id))).toEqual(ids);
    // At least once: the one in flight at the kill was sent again. A repeat (here, or when a
    // loaded machine outlives a lease) carries the same webhook-id, so receivers deduplicate.
    expect(got.length).toBeGreaterThanOrEqual(5);
    const log = await items();
    expect(Math.max(...log.map((d) => d.attempts)), JSON.stringify(log)).toBeGreaterThanOrEqual(2);
  }, 420_000);
});
