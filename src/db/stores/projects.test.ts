import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/helpers/db.ts';
import { openDatabase, type Database } from '../client.ts';
import { instances } from '../schema.ts';
import { KeyStore } from './keys.ts';
import { ProjectStore } from './projects.ts';

let database: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  const db = await testDatabase('projects_store');
  drop = db.drop;
  database = await openDatabase({ url: db.url });
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

const instance = (project: string, status: string) => ({ name: 'i', project, serverName: 'hangar-i', provider: 'local', workload: 'process', labels: {}, status });

describe('ProjectStore', () => {
  it('has default from the migration, validates names, never reuses one', async () => {
    const projects = new ProjectStore(database.db);
    expect((await projects.list()).map((p) => p.name)).toEqual(['default']);
    await expect(projects.create('Bad_Name', 't')).rejects.toThrow(/DNS label/);
    await projects.create('team-a', 'api:admin');
    await expect(projects.create('team-a', 't')).rejects.toThrow(/exists or existed/);
    expect(await projects.active('team-a')).toBe(true);
    expect(await projects.active('nope')).toBe(false);
    expect(await projects.active('../x')).toBe(false);
  });

  it('refuses to remove a project with live instances (naming the count) or default; removal revokes its keys', async () => {
    const projects = new ProjectStore(database.db);
    const keys = new KeyStore(database.db);
    await projects.create('team-b', 't');
    await database.db.insert(instances).values([instance('team-b', 'running'), instance('team-b', 'pending'), instance('team-b', 'stopped')]);
    expect((await projects.list('team-b'))[0].liveInstances).toBe(2);
    await expect(projects.remove('team-b')).rejects.toThrow(/still has 2 live instances/);
    await expect(projects.remove('default')).rejects.toThrow(/cannot be removed/);
    await expect(projects.remove('nope')).rejects.toThrow(/not found/);
    await projects.create('team-c', 't');
    await database.db.insert(instances).values(instance('team-c', 'stopped'));
    const k = await keys.create({ name: 'c', project: 'team-c', role: 'owner', expiresAt: null, createdBy: 't' });
    await projects.remove('team-c');
    expect(await projects.active('team-c')).toBe(false);
    await expect(keys.authenticate(`Bearer ${k.key}`)).rejects.toThrow(/revoked/);
    // An instance cannot name a project that does not exist (foreign key).
    await expect(database.db.insert(instances).values(instance('ghost', 'pending'))).rejects.toThrow();
  });
});
