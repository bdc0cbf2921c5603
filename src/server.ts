import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, unlinkSync, chmodSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import type PgBoss from 'pg-boss';
import { ensureAgentBundle } from './agent-bundle.ts';
import { buildApp } from './api/app.ts';
import { ApiKeyAuth, ensureAdminKey } from './api/auth.ts';
import { Metrics } from './api/metrics.ts';
import type { BootstrapInput, WorkloadPlan } from './bootstrap/types.ts';
import type { HangarConfig } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { EventBus } from './engine/bus.ts';
import { Catalogue } from './engine/catalogue.ts';
import { Engine } from './engine/engine.ts';
import { installationId } from './engine/installation.ts';
import type { ProviderRegistry, Tailnet } from './engine/ports.ts';
import { startQueue } from './engine/queue.ts';
import { Store, type InstanceRow } from './engine/store.ts';
import { Hub } from './hub/hub.ts';
import { LocalProvider } from './providers/local.ts';
import type { CloudProvider } from './providers/types.ts';
import { defaultRenderers } from './renderers.ts';

export interface StartOptions {
  /** Extra or replacement providers (e.g. emulated clouds in tests). */
  providers?: CloudProvider[];
  /** Disable the built-in local provider. */
  noLocal?: boolean;
  tailnet?: Tailnet | null;
  logger?: Logger;
  renderUserData?: (input: BootstrapInput) => string;
  renderWorkload?: (row: InstanceRow, secrets: Record<string, string>) => WorkloadPlan;
}

export interface Hangar {
  url: string;
  /** The admin API key, only on the first start of an installation. */
  firstApiKey: string | null;
  installationId: string;
  engine: Engine;
  hub: Hub;
  database: Database;
  boss: PgBoss;
  log: Logger;
  stop(): Promise<void>;
}

const REDACT = ['req.headers.authorization', '*.token', '*.agentKey', '*.authKey', '*.apiKey', '*.secretKey', '*.password', '*.userData', 'token', 'agentKey'];

/**
 * Start one Hangar process: database + migrations, queue, engine workers, hub and HTTP API.
 * The embedded default (PGlite under dataDir, local provider) and a production replica
 * (DATABASE_URL) run exactly this code.
 */
export async function startHangar(config: HangarConfig, opts: StartOptions = {}): Promise<Hangar> {
  const log = opts.logger ?? pino({ level: config.logLevel, redact: { paths: REDACT, censor: '[REDACTED]' } });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const releaseLock = config.databaseUrl ? () => {} : acquireLock(config.dataDir);
  const cleanups: (() => Promise<void> | void)[] = [releaseLock];
  try {
    const database = await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pgdata') });
    cleanups.unshift(() => database.close());
    const bus = new EventBus(database);
    await bus.start();
    cleanups.unshift(() => bus.stop());
    const metricsRef: { m?: Metrics } = {};
    const store = new Store(database.db, (e) => {
      bus.publish(e.instanceId);
      metricsRef.m?.events.inc({ kind: e.kind });
    });
    const install = await installationId(database.db);
    const firstApiKey = await ensureAdminKey(database.db);
    const boss = await startQueue(database, (err) => log.warn({ err: err.message }, 'queue error'), { exclusive: !config.databaseUrl });
    cleanups.unshift(() => boss.stop({ graceful: false, wait: true, close: false }));

    const providers: ProviderRegistry = new Map();
    if (!opts.noLocal) providers.set('local', new LocalProvider({ baseDir: join(config.dataDir, 'local-servers'), agentBundle: ensureAgentBundle }));
    for (const p of opts.providers ?? []) providers.set(p.name, p);

    const renderers = defaultRenderers();
    const replicaId = config.replicaId ?? `${hostname()}-${process.pid}`;
    const engine = new Engine({
      store,
      boss,
      providers,
      tailnet: opts.tailnet ?? null,
      installationId: install,
      secretKey: secretKey(config),
      publicUrl: config.publicUrl ?? '',
      heartbeatSeconds: config.heartbeatSeconds,
      connectTimeoutSeconds: config.connectTimeoutSeconds,
      pollSeconds: config.pollSeconds,
      log,
      renderUserData: opts.renderUserData ?? renderers.userData,
      renderWorkload: opts.renderWorkload ?? renderers.workload,
      bootstrapVersion: renderers.bootstrapVersion,
    });
    const hub = new Hub(engine, log.child({ mod: 'hub' }), replicaId);
    const metrics = new Metrics(store, () => hub.connected);
    metricsRef.m = metrics;
    const webDir = config.dashboard ? fileURLToPath(new URL('../web/dist', import.meta.url)) : undefined;
    const app = buildApp({ engine, auth: new ApiKeyAuth(database.db), bus, catalogue: new Catalogue(providers), metrics, log, agentBundle: ensureAgentBundle, webDir });
    hub.attach(app.server);
    await app.listen({ host: config.host, port: config.port });
    cleanups.unshift(async () => {
      await hub.close();
      await app.close();
    });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    if (!config.publicUrl) engine.deps.publicUrl = url;
    await ensureAgentBundle();
    await engine.work();
    let stopped = false;
    return {
      url,
      firstApiKey,
      installationId: install,
      engine,
      hub,
      database,
      boss,
      log,
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const c of cleanups) await Promise.resolve(c()).catch((err) => log.warn({ err }, 'shutdown step failed'));
      },
    };
  } catch (err) {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => {});
    throw err;
  }
}

/** One process per data dir: a pid lockfile, with a clear error if another Hangar holds it. */
function acquireLock(dataDir: string): () => void {
  const path = join(dataDir, 'hangar.lock');
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`Hangar is already running with data dir ${dataDir} (pid ${pid}). Stop it first, or start this one with --data-dir <another dir> or DATABASE_URL.`);
      }
      unlinkSync(path); // stale lock from a crashed process
    }
  }
  throw new Error(`could not lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The key that seals secrets at rest: HANGAR_SECRET_KEY, else dataDir/secret.key (0600). */
function secretKey(config: HangarConfig): Buffer {
  if (config.secretKey) {
    const k = /^[0-9a-f]{64}$/i.test(config.secretKey) ? Buffer.from(config.secretKey, 'hex') : Buffer.from(config.secretKey, 'base64');
    if (k.length !== 32) throw new Error('HANGAR_SECRET_KEY must be 32 bytes, as 64 hex characters or base64');
    return k;
  }
  const path = join(config.dataDir, 'secret.key');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
}
