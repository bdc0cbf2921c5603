import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../test/helpers/db.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { NotFoundError } from '../domain/errors.ts';
import { DbSshHostStore } from '../db/stores/ssh-hosts.ts';
import { Releases } from './releases.ts';
import { SnapshotBuilder, type SnapshotBuilderDeps } from './snapshots.ts';
import { Store } from './store.ts';

/** Ids of the wrong shape: each would fail the query (a uuid cast, a NUL byte in text). */
const MALFORMED = ['nope', '------------------------------------', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', 'a\u0000b', '1.0.0\u0000'];

describe('a lookup by an id of the wrong shape finds nothing; it never fails the query', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await testDatabase('lookups');
    drop = db.drop;
    database = await openDatabase({ url: db.url });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('instances by agent id or token hash', async () => {
    const store = new Store(database.db);
    for (const id of MALFORMED) {
      await expect(store.findBy('agentId', id)).resolves.toBeUndefined();
      await expect(store.findBy('bootstrapTokenHash', id)).resolves.toBeUndefined();
      await expect(store.get(id)).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('agent releases and their bundles by version', async () => {
    const releases = new Releases(database.db, []);
    for (const v of MALFORMED) {
      await expect(releases.get(v)).rejects.toBeInstanceOf(NotFoundError);
      await expect(releases.bundle(v)).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('snapshot builds by id, SSH hosts by id', async () => {
    const snapshots = new SnapshotBuilder({ db: database.db } as SnapshotBuilderDeps);
    const hosts = new DbSshHostStore(database.db);
    for (const id of MALFORMED) {
      await expect(snapshots.get(id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(hosts.get(id)).resolves.toBeNull();
    }
  });
});
