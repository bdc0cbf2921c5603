import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/helpers/db.ts';
import { openDatabase, type Database } from '../client.ts';
import { apiKeys, installationNotes } from '../schema.ts';
import { KeyStore, mintAdminKey, recordKeyReset } from './keys.ts';

let database: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  const db = await testDatabase('keys_store');
  drop = db.drop;
  database = await openDatabase({ url: db.url });
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

describe('KeyStore', () => {
  it('stores keys hashed, authenticates them with their project and role, refuses revoked and expired ones', async () => {
    const keys = new KeyStore(database.db);
    const { key, info } = await keys.create({ name: 'ci', project: 'default', role: 'operator', expiresAt: null, createdBy: 'test' });
    expect(JSON.stringify(await database.db.select().from(apiKeys))).not.toContain(key);
    expect(await keys.authenticate(`Bearer ${key}`)).toMatchObject({ id: info.id, name: 'ci', project: 'default', role: 'operator' });
    // Last use is written, at most once a minute.
    const used = (await keys.get(info.id))!.lastUsedAt!;
    expect(used).toBeInstanceOf(Date);
    await keys.authenticate(`Bearer ${key}`);
    expect((await keys.get(info.id))!.lastUsedAt!.getTime()).toBe(used.getTime());
    expect(await keys.revoke(info.id)).toBe(true);
    expect(await keys.revoke(info.id)).toBe(false);
    await expect(keys.authenticate(`Bearer ${key}`)).rejects.toThrow(/unknown or revoked/);
    const old = await keys.create({ name: 'old', project: 'default', role: 'viewer', expiresAt: new Date(Date.now() - 1000), createdBy: 'test' });
    await expect(keys.authenticate(`Bearer ${old.key}`)).rejects.toThrow(/"old" expired at .*hangar keys create/);
    await expect(keys.authenticate('Bearer nope')).rejects.toThrow(/malformed/);
    await expect(keys.authenticate(undefined)).rejects.toThrow(/Authorization: Bearer/);
    // The database refuses an admin key with a project, and a project key without one.
    await expect(keys.create({ name: 'x', project: 'default', role: 'admin', expiresAt: null, createdBy: 't' })).rejects.toThrow();
    await expect(database.db.insert(apiKeys).values({ name: 'x', prefix: 'x', hash: 'x', project: null, role: 'viewer' })).rejects.toThrow();
  });

  it('mints admin keys offline, revoking the other admin keys only when asked, and records the reset without the key', async () => {
    const keys = new KeyStore(database.db);
    const a = await mintAdminKey(database.db, { name: 'a', createdBy: 't', revokeOthers: false });
    const scoped = await keys.create({ name: 'p', project: 'default', role: 'owner', expiresAt: null, createdBy: 't' });
    const b = await mintAdminKey(database.db, { name: 'b', createdBy: 't', revokeOthers: true });
    expect(b.revoked).toBe(1);
    await expect(keys.authenticate(`Bearer ${a.key}`)).rejects.toThrow(/revoked/);
    expect((await keys.authenticate(`Bearer ${b.key}`)).role).toBe('admin');
    expect((await keys.authenticate(`Bearer ${scoped.key}`)).role).toBe('owner');
    expect((await keys.list(null)).map((k) => k.name)).toEqual(['b']);
    await recordKeyReset(database.db, { keyId: b.id, revoked: 1, by: 'root@host', via: 'test' });
    const notes = await database.db.select().from(installationNotes);
    expect(notes.map((n) => [n.kind, n.actor, n.data])).toEqual([['admin-key-reset', 'root@host', { keyId: b.id, revokedOthers: 1, via: 'test' }]]);
  });
});
