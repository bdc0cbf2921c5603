import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/helpers/db.ts';
import type { SshHost } from '../../domain/ssh-hosts.ts';
import { openDatabase, type Database } from '../client.ts';
import { DbSshHostStore } from './ssh-hosts.ts';

let database: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  const db = await testDatabase('ssh_hosts_store');
  drop = db.drop;
  database = await openDatabase({ url: db.url });
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

function host(name: string): SshHost {
  return {
    id: randomUUID(),
    name,
    address: '203.0.113.7',
    port: 22,
    user: 'root',
    privateKeySealed: 'v1.sealed',
    passphraseSealed: null,
    keyPath: null,
    hostKey: null,
    hostKeyTrust: 'tofu',
    hostKeyRecordedAt: null,
    remoteRoot: null,
    keepFiles: false,
    labels: {},
    serverName: null,
    state: 'free',
    claimId: null,
    provisionedAt: null,
    facts: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

const owner = (instance: string) => ({ labels: { 'hangar.dev/installation': 'i', 'hangar.dev/instance': instance }, serverName: `hangar-x-${instance.slice(0, 8)}` });

describe('DbSshHostStore', () => {
  it('stores hosts by id and lists them by name', async () => {
    const store = new DbSshHostStore(database.db);
    const b = host('store-b');
    const a = host('store-a');
    await store.put(b);
    await store.put(a);
    expect((await store.list()).map((h) => h.name)).toEqual(['store-a', 'store-b']);
    await store.put({ ...a, port: 2222 });
    expect(await store.get(a.id)).toEqual({ ...a, port: 2222 });
    await store.remove(b.id);
    expect(await store.get(b.id)).toBeNull();
    // PostgreSQL text holds no NUL: such an id finds nothing instead of failing the query.
    expect(await store.get('a\u0000b')).toBeNull();
    await store.remove(a.id);
  });

  it('claims a free host once (a fresh claim id), keeps the owner\'s on a second claim, releases only for that claim', async () => {
    const store = new DbSshHostStore(database.db);
    const h = host('claimed');
    await store.put(h);
    const mine = owner(randomUUID());
    const claimed = await store.claim(h.id, mine);
    expect(claimed).toMatchObject({ state: 'provisioning', labels: mine.labels, serverName: mine.serverName, claimId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(await store.claim(h.id, owner(randomUUID()))).toBeNull();
    expect(await store.claim(h.id, { ...mine, claimId: 'other' })).toMatchObject({ claimId: claimed!.claimId });
    expect(await store.update(h.id, { state: 'ready' })).toMatchObject({ state: 'ready', claimId: claimed!.claimId, labels: mine.labels });
    expect(await store.release(h.id, mine.labels, 'not-the-claim')).toBe(false);
    expect(await store.release(h.id, mine.labels, claimed!.claimId)).toBe(true);
    expect(await store.get(h.id)).toMatchObject({ state: 'free', labels: {}, serverName: null, claimId: null, provisionedAt: null });
    expect(await store.update(randomUUID(), { state: 'ready' })).toBeNull();
  });
});
