import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createApiClient, type ApiClient } from '../../src/api/contract/index.ts';
import { configFromEnv, type HangarConfig } from '../../src/config.ts';
import type { InstanceRow } from '../../src/engine/store.ts';
import { startHangar, type Hangar, type StartOptions } from '../../src/server.ts';
import { testDatabase } from './db.ts';

export interface TestHangar extends Hangar {
  apiKey: string;
  dataDir: string;
  /** fetch against the API with the admin key (raw: any path, any body, any status). */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /**
   * The API contract's typed client with the admin key: an error answer rejects with ApiError.
   *
   * @example
   * const inst = await body(h.client.GET('/v1/instances/{id}', { params: { path: { id } } }));
   */
  client: ApiClient;
  /** Poll an instance until `pred` holds (or throw after `timeoutMs`). */
  waitFor(id: string, pred: (row: InstanceRow) => boolean, timeoutMs?: number): Promise<InstanceRow>;
  /** Stop Hangar, delete any servers the local provider still has, drop the database. */
  close(): Promise<void>;
}

/** Start a real Hangar for a test: own data dir, own database, fast heartbeats and polling. */
export async function startTestHangar(
  tag: string,
  overrides: Partial<HangarConfig> = {},
  opts: StartOptions = {},
  /** Restart on an existing installation: same data dir, database and key. */
  reuse?: { dataDir: string; db: { url: string | undefined; drop(): Promise<void> }; apiKey: string },
): Promise<TestHangar & { db: { url: string | undefined; drop(): Promise<void> } }> {
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), `hangar-${tag}-`));
  const db = reuse?.db ?? (await testDatabase(tag));
  // Most tests run their own commands on the local provider; its defaults are tested in local-provider.test.ts.
  const config = configFromEnv({ ...process.env, DATABASE_URL: db.url ?? '' }, { dataDir, port: 0, heartbeatSeconds: 1, pollSeconds: 0.2, smokeIntervalSeconds: 0, dashboard: false, logLevel: 'warn', authFailuresPerMinute: 0, localProvider: 'on', localCommands: true, ...overrides });
  const hangar = await startHangar(config, { logger: pino({ level: process.env.HANGAR_TEST_LOG ?? 'silent' }), ...opts });
  const apiKey = reuse?.apiKey ?? hangar.firstApiKey!;
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, ...(init.headers as Record<string, string>) };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${hangar.url}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  };
  return {
    ...hangar,
    db,
    apiKey,
    dataDir,
    api,
    client: createApiClient({ baseUrl: hangar.url, apiKey }),
    async waitFor(id, pred, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let row: InstanceRow | undefined;
      while (Date.now() < deadline) {
        row = await hangar.engine.store.get(id);
        if (pred(row)) return row;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`instance ${id} did not reach the expected state in ${timeoutMs} ms; it is ${row?.status}(${row?.step}) ${row?.connection} ${row?.failureReason ?? ''}`);
    },
    async close() {
      const local = hangar.engine.providers.get('local');
      await hangar.stop();
      if (local) for (const s of await local.findServers({})) await local.deleteServer(s.id);
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
