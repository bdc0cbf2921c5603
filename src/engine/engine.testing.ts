import { randomBytes, randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import pino from 'pino';
import { testDatabase } from '../../test/helpers/db.ts';
import { defaultRenderers } from '../bootstrap/renderers.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { instanceLabels, serverName } from '../domain/names.ts';
import { hashToken, newToken, seal } from '../domain/tokens.ts';
import { startQueue } from './queue.ts';
import type { EngineDeps } from './resources.ts';
import { RuntimeSettings } from './settings.ts';
import { Store, type InstanceRow } from './store.ts';

/** A real database, job queue and store for tests beside the engine's modules (no workers run). */
export interface EngineFixture {
  database: Database;
  boss: PgBoss;
  store: Store;
  deps: EngineDeps;
  /** The jobs waiting in a queue (by pg-boss name), oldest first. */
  jobs(queue: string): Promise<{ singletonKey: string; startAfter: Date }[]>;
  /** An instance row as `createInstance` writes it, moved along `path` (e.g. start, then steps), and its one-time token. */
  instance(opts?: { onFailure?: 'destroy' | 'keep'; tailscale?: boolean; steps?: ('boot' | 'enroll' | 'network' | 'configure' | 'workload')[]; set?: Partial<InstanceRow> }): Promise<{ row: InstanceRow; token: string }>;
  close(): Promise<void>;
}

/**
 * Open a fresh database (PGlite in memory, or a database of its own on DATABASE_URL), start the
 * queue, and build engine deps on them (local user-data renderers, a closed-port public URL).
 *
 * @example
 * const f = await engineFixture('timeouts', { stateTimeouts: { booting: 1 } });
 * const r = engineResources(f.deps);
 */
export async function engineFixture(tag: string, overrides: Partial<EngineDeps> = {}): Promise<EngineFixture> {
  const db = await testDatabase(tag);
  const database = await openDatabase({ url: db.url });
  const boss = await startQueue(database, () => {});
  const store = new Store(database.db);
  const renderers = defaultRenderers();
  const deps: EngineDeps = {
    store,
    boss,
    providers: new Map(),
    settings: new RuntimeSettings({ publicUrl: 'http://127.0.0.1:9' }),
    installationId: randomUUID(),
    secretKey: randomBytes(32),
    heartbeatSeconds: 1,
    connectTimeoutSeconds: 600,
    pollSeconds: 0.2,
    log: pino({ level: 'silent' }),
    renderUserData: renderers.userData,
    agentBundleSha256: async () => 'a'.repeat(64),
    renderWorkload: renderers.workload,
    bootstrapVersion: renderers.bootstrapVersion,
    ...overrides,
  };
  return {
    database,
    boss,
    store,
    deps,
    async jobs(queue) {
      const { rows } = await database.executeSql(`SELECT singleton_key, start_after FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry') ORDER BY created_on`, [queue]);
      return rows.map((r: { singleton_key: string; start_after: string | Date }) => ({ singletonKey: r.singleton_key, startAfter: new Date(r.start_after) }));
    },
    async instance(opts = {}) {
      const id = randomUUID();
      const token = newToken('hgb');
      await store.insert(
        {
          id,
          name: 'fixture',
          serverName: serverName(id, 'fixture'),
          provider: 'local',
          workload: 'process',
          workloadConfig: {},
          labels: instanceLabels(deps.installationId, id),
          tailscale: opts.tailscale ?? false,
          tailscaleTags: [],
          connectTimeoutSeconds: 600,
          onFailure: opts.onFailure ?? 'destroy',
          bootstrapTokenHash: hashToken(token),
          bootstrapTokenSealed: seal(token, deps.secretKey),
          bootstrapTokenExpiresAt: new Date(Date.now() + 900_000),
        },
        { actor: 'test', kind: 'transition', reason: 'instance requested' },
      );
      let row = await store.transition(id, { type: 'start' }, { actor: 'test', reason: 'provisioning started' }, { bootstrapPath: 'full' });
      for (const step of opts.steps ?? []) row = (await store.advance(id, step, { actor: 'test', reason: step })) ?? row;
      if (opts.set) row = await store.update(id, opts.set);
      return { row, token };
    },
    async close() {
      await boss.stop({ graceful: false, wait: true, close: false });
      await database.close();
      await db.drop();
    },
  };
}
