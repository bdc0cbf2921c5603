import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type PgBoss from 'pg-boss';
import { agentBundleSha256, ensureAgentBundle, servedAgentBundle } from './build/agent-bundle.ts';
import { buildApp } from './api/app.ts';
import { allowedHosts } from './api/security.ts';
import type { DeclaredRoute } from './api/access.ts';
import { ensureAdminKey } from './api/auth.ts';
import { Metrics } from './api/metrics.ts';
import type { BootstrapInput, WorkloadPlan } from './bootstrap/types.ts';
import type { HangarConfig } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { EventBus } from './engine/bus.ts';
import { Catalogue } from './engine/catalogue.ts';
import { DbBudgetStore } from './db/stores/budgets.ts';
import { Engine } from './engine/engine.ts';
import { RuntimeSettings } from './engine/settings.ts';
import { installationId } from './engine/installation.ts';
import type { ProviderRegistry, Tailnet } from './engine/ports.ts';
import { startQueue } from './engine/queue.ts';
import { Store, type InstanceRow } from './engine/store.ts';
import { Hub } from './hub/hub.ts';
import { LocalProvider } from './providers/local.ts';
import type { CloudProvider } from './providers/types.ts';
import { defaultRenderers } from './bootstrap/renderers.ts';
import { SshProvider } from './providers/ssh.ts';
import { DbCredentialStore } from './db/stores/credentials.ts';
import { DbSshHostStore } from './db/stores/ssh-hosts.ts';
import { Credentials } from './wiring/credentials.ts';
import { acquireLock } from './wiring/lockfile.ts';
import { secretKey } from './wiring/secret-key.ts';
import { localProviderDecision, localWorkloadGuard } from './providers/local-policy.ts';

const CLOUD_NAMES = ['hetzner', 'digital-ocean'] as const;
const CREDENTIALS_CHANNEL = 'hangar_credentials';
import { ensureDashboardBuilt } from './build/dashboard.ts';
import { Reconciler } from './engine/reconciler.ts';
import { AgentOps } from './engine/ops.ts';
import { SmokeTimer } from './engine/smoke.ts';
import { AuditRetention } from './engine/audit-retention.ts';
import { SnapshotBuilder } from './engine/snapshots.ts';
import { Releases } from './engine/releases.ts';
import { releaseKeyProblem } from './domain/releases.ts';
import { ConflictError } from './domain/errors.ts';
import { DbApiBudgetStore } from './db/stores/api-budget.ts';
import { budgetGate, PoolKeeper } from './engine/pools/keeper.ts';
import { PoolStore } from './engine/pools/store.ts';
import { Webhooks } from './engine/webhooks/webhooks.ts';

export interface StartOptions {
  /** Extra or replacement providers (e.g. emulated clouds in tests). */
  providers?: CloudProvider[];
  /** Disable the built-in local provider (as HANGAR_LOCAL_PROVIDER=0 does). */
  noLocal?: boolean;
  /** Do not offer the `ssh` provider (bring-your-own servers). */
  noSsh?: boolean;
  /** Ignore cloud tokens in the environment (tests). */
  noEnvProviders?: boolean;
  tailnet?: Tailnet | null;
  logger?: Logger;
  renderUserData?: (input: BootstrapInput) => string;
  renderWorkload?: (row: InstanceRow, secrets: Record<string, string>) => WorkloadPlan;
  /** Snapshot ids to boot from (default: HETZNER_SNAPSHOT_ID / DIGITALOCEAN_SNAPSHOT_ID). */
  snapshotIds?: { hetzner?: string; 'digital-ocean'?: string };
  /** Snapshot builds: ready timeout (default HANGAR_SNAPSHOT_READY_TIMEOUT_SECONDS or 1800), snapshot listing cache. */
  snapshotBuild?: { readyTimeoutSeconds?: number; cacheSeconds?: number };
  /** Seconds between warm-pool passes (default HANGAR_POOL_SECONDS or 10). */
  poolSeconds?: number;
}

export interface Hangar {
  url: string;
  /** Every HTTP route with the callers it admits (the route table). */
  routes: DeclaredRoute[];
  /** The admin API key, only on the first start of an installation. */
  firstApiKey: string | null;
  installationId: string;
  reconciler: Reconciler;
  /** The warm-pool keeper (tests run a pass with `runOnce`). */
  pools: PoolKeeper;
  engine: Engine;
  webhooks: Webhooks;
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
  config.releaseKeys.forEach((k, i) => {
    const problem = releaseKeyProblem(k);
    if (problem) throw new Error(`HANGAR_RELEASE_KEYS: key ${i + 1} ${problem}; use the public key \`hangar agent release keygen\` printed`);
  });
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
    const webhooksRef: { w?: Webhooks } = {};
    const store = new Store(database.db, (e) => {
      bus.publish(e.instanceId);
      webhooksRef.w?.kick();
      metricsRef.m?.events.inc({ kind: e.kind });
    });
    const install = await installationId(database.db);
    const firstApiKey = await ensureAdminKey(database.db);
    const boss = await startQueue(database, (err) => log.warn({ err: err.message }, 'queue error'), { exclusive: !config.databaseUrl, leaseSeconds: config.jobLeaseSeconds });
    cleanups.unshift(() => boss.stop({ graceful: false, wait: true, close: false }));

    const sealingKey = secretKey(config);
    const wh = config.webhooks;
    const webhooks = new Webhooks({ db: database.db, secretKey: sealingKey, policy: { allowHttp: wh.allowHttp, allowPrivate: wh.allowPrivate }, timeoutMs: wh.timeoutMs, retryBaseMs: wh.retryBaseMs, pollMs: wh.pollMs, unreachableMs: wh.unreachableMinutes * 60_000, log: log.child({ mod: 'webhooks' }), onEvent: (id) => bus.publish(id) });
    webhooksRef.w = webhooks;
    const providers: ProviderRegistry = new Map();
    // Clouds and the tailnet from the environment (HETZNER_API_TOKEN, DIGITALOCEAN_TOKEN, TAILSCALE_API_KEY, …).
    // Credentials stored through the API (sealed) override the environment's. Endpoints must be
    // https or in HANGAR_ALLOWED_ENDPOINTS (else that service is off, with a warning).
    // One cloud-API budget per vendor account, shared by every replica through the database.
    const apiBudget = new DbApiBudgetStore(database.db);
    // Embedded mode holds the data dir's lock: a call still counted in flight was granted to a
    // process that died (kill -9, power loss); its slot would block a probe until it went stale.
    if (!config.databaseUrl) await apiBudget.forgetInFlight();
    const credentials = new Credentials(new DbCredentialStore(database.db, sealingKey), { allowedEndpoints: config.allowedEndpoints, budget: apiBudget });
    const fromEnv = opts.noEnvProviders ? { providers: [], tailnet: undefined, warnings: [] as string[] } : await credentials.resolve(process.env);
    for (const w of fromEnv.warnings) log.warn(w);
    // The local provider runs processes on this host: by default only while no cloud is configured
    // (HANGAR_LOCAL_PROVIDER; SSH hosts do not count), and only the demo workload (HANGAR_LOCAL_COMMANDS).
    const local = localProviderDecision(opts.noLocal ? 'off' : config.localProvider, [...fromEnv.providers, ...(opts.providers ?? [])].map((p) => p.name));
    if (local.enabled) providers.set('local', new LocalProvider({ baseDir: join(config.dataDir, 'local-servers'), agentBundle: ensureAgentBundle }));
    else if ((await store.list({ limit: 1, provider: 'local', status: ['pending', 'provisioning', 'running', 'stopping'] })).length) {
      log.warn(`instances on the local provider exist but it is off, so they cannot be stopped: ${local.hint}`);
    } else if (config.localProvider === 'auto' && !opts.noLocal) log.info(local.hint!);
    const localGuard = localWorkloadGuard(config.localCommands);
    const sshHosts = new DbSshHostStore(database.db);
    if (!opts.noSsh) {
      providers.set('ssh', new SshProvider({
        hosts: sshHosts,
        secretKey: sealingKey,
        agentBundle: ensureAgentBundle,
        // Key files of hosts registered with a keyPath: only from here (HANGAR_SSH_KEY_DIR).
        keyDir: config.sshKeyDir,
        onLog: (instanceId, line) => void store.event(instanceId, { actor: 'provider', kind: 'log', reason: line }).catch(() => {}),
      }));
    }
    for (const p of [...fromEnv.providers, ...(opts.providers ?? [])]) providers.set(p.name, p);
    const tailnet = opts.tailnet ?? fromEnv.tailnet ?? null;

    const renderers = defaultRenderers();
    const replicaId = config.replicaId ?? `${hostname()}-${process.pid}`;
    // What changes at run time (the URL agents dial, set after listen; the tailnet, on credential changes).
    const settings = new RuntimeSettings({ publicUrl: config.publicUrl ?? '', tailnet });
    const snapshots = new SnapshotBuilder({
      db: database.db,
      boss,
      providers,
      installationId: install,
      secretKey: sealingKey,
      bootstrapVersion: renderers.bootstrapVersion,
      publicUrl: () => settings.publicUrl,
      renderBuilderUserData: renderers.snapshotBuilderUserData,
      agentBundleSha256,
      log: log.child({ mod: 'snapshots' }),
      readyTimeoutSeconds: opts.snapshotBuild?.readyTimeoutSeconds ?? (Number(process.env.HANGAR_SNAPSHOT_READY_TIMEOUT_SECONDS) || 1800),
      cacheSeconds: opts.snapshotBuild?.cacheSeconds,
      pollSeconds: Math.min(1, config.pollSeconds),
    });
    const snapshotIds = opts.snapshotIds ?? (opts.noEnvProviders ? {} : { hetzner: process.env.HETZNER_SNAPSHOT_ID || undefined, 'digital-ocean': process.env.DIGITALOCEAN_SNAPSHOT_ID || undefined });
    const poolStore = new PoolStore(database.db);
    const keeperRef: { k?: PoolKeeper } = {};
    const ledger = new DbBudgetStore(database.db);
    const catalogue = new Catalogue(providers, 3_600_000, ledger);
    const engine = new Engine({
      catalogue,
      ledger,
      pools: { store: poolStore, refill: () => keeperRef.k?.kick() },
      store,
      boss,
      providers,
      settings,
      installationId: install,
      secretKey: sealingKey,
      heartbeatSeconds: config.heartbeatSeconds,
      releaseKeys: config.releaseKeys,
      updateCheckSeconds: config.updateCheckSeconds,
      tailscaleSsh: config.tailscaleSsh,
      updateTrialSeconds: config.updateTrialSeconds,
      connectTimeoutSeconds: config.connectTimeoutSeconds,
      defaultTtlSeconds: config.defaultTtlSeconds,
      defaultIdleStopSeconds: config.defaultIdleStopSeconds,
      pollSeconds: config.pollSeconds,
      workers: config.workers,
      stateTimeouts: config.stateTimeouts,
      replicaId,
      log,
      renderUserData: opts.renderUserData ?? renderers.userData,
      agentBundleSha256,
      renderWorkload: localGuard.render(opts.renderWorkload ?? renderers.workload),
      bootstrapVersion: renderers.bootstrapVersion,
      validateWorkload: localGuard.validate(renderers.validateWorkload),
      completeSecrets: renderers.completeSecrets,
      snapshots,
      snapshotIds,
      disabledProviders: local.hint ? { local: local.hint } : {},
    });
    const hub = new Hub(engine, log.child({ mod: 'hub' }), replicaId);
    engine.setAgentChannel(hub);
    const metrics = new Metrics(store, () => hub.connected, apiBudget);
    metricsRef.m = metrics;
    const webDir = config.dashboard ? await ensureDashboardBuilt({ log: (m) => log.info(m) }) : undefined;
    const reconcilerRef: { r?: Reconciler } = {};
    /** Re-resolve clouds and tailnet after credentials changed (here or, by NOTIFY, on another replica). */
    const applyCredentials = async () => {
      if (opts.noEnvProviders) return;
      const r = await credentials.resolve(process.env);
      const injected = new Set((opts.providers ?? []).map((p) => p.name));
      for (const name of CLOUD_NAMES) {
        if (injected.has(name)) continue;
        const next = r.providers.find((p) => p.name === name);
        if (next) providers.set(name, next);
        else providers.delete(name);
        catalogue.forget(name);
      }
      if (!opts.tailnet) settings.setTailnet(r.tailnet ?? null);
    };
    if (database.kind === 'postgres') cleanups.unshift(await database.listen(CREDENTIALS_CHANNEL, () => void applyCredentials().catch((err) => log.warn({ err }, 'reloading credentials failed'))));
    const credentialsApi = {
      stored: () => credentials.stored(),
      async put(service: string, body: unknown) {
        await credentials.put(service, body);
        await applyCredentials();
        if (database.kind === 'postgres') await database.notify(CREDENTIALS_CHANNEL, service);
      },
      async remove(service: string) {
        const removed = await credentials.remove(service);
        await applyCredentials();
        if (database.kind === 'postgres') await database.notify(CREDENTIALS_CHANNEL, service);
        return removed;
      },
    };
    const app = buildApp({ allowedHosts: allowedHosts({ host: config.host, publicUrl: config.publicUrl, extra: config.allowedHosts }), metricsPublic: config.metricsPublic, authFailuresPerMinute: config.authFailuresPerMinute, requestTimeoutMs: config.requestTimeoutSeconds * 1000, credentials: credentialsApi, pools: { store: poolStore, kick: () => keeperRef.k?.kick(), budgets: apiBudget }, reconcile: () => { if (!reconcilerRef.r) throw new ConflictError('Hangar is still starting'); return reconcilerRef.r.runOnce(); }, engine, bus, catalogue, metrics, log, agentBundle: async () => (await servedAgentBundle()).bytes, webDir, sshHosts, snapshots, hub, streams: hub, releases: new Releases(database.db, config.releaseKeys), webhooks });
    hub.otherUpgrades = app.streamUpgrades;
    hub.attach(app.server);
    if (database.kind === 'postgres') await hub.startRelay(database);
    await app.listen({ host: config.host, port: config.port });
    cleanups.unshift(async () => {
      await hub.close();
      await app.close();
    });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    if (!config.publicUrl) settings.setPublicUrl(url);
    await ensureAgentBundle();
    await engine.work();
    // Work whose job was never queued (killed between committing intent and enqueueing) or lost:
    // give every unfinished instance its driving job back now (idempotent: one live job each).
    for (const row of await store.byStatus(['pending', 'provisioning', 'stopping'])) await engine.resume(row.id);
    await snapshots.work();
    const reconciler = new Reconciler({ db: database.db, engine, log: log.child({ mod: 'reconciler' }), replicaId, intervalSeconds: config.reconcileSeconds, orphanGraceSeconds: config.orphanGraceSeconds });
    reconcilerRef.r = reconciler;
    if (config.reconcileSeconds > 0) reconciler.start();
    cleanups.unshift(() => reconciler.stop());
    // Warm pools: one replica at a time (a lease) keeps each pool at its ready count, never refilling past a budget.
    const keeper = new PoolKeeper({ engine, pools: poolStore, db: database.db, replicaId, log: log.child({ mod: 'pools' }), intervalSeconds: opts.poolSeconds ?? (Number(process.env.HANGAR_POOL_SECONDS) || 10), budgetAllows: budgetGate((project) => engine.costs(project)) });
    keeperRef.k = keeper;
    keeper.start();
    cleanups.unshift(() => keeper.stop());
    const smokeTimer = new SmokeTimer({ boss, db: database.db, log: log.child({ mod: 'smoke' }), intervalSeconds: config.smokeIntervalSeconds, pollSeconds: config.pollSeconds, ops: new AgentOps({ store, send: (id, n, a, t) => hub.command(id, n, a, t), onSmoke: (result) => metrics.smoke.inc({ result }) }) });
    await smokeTimer.start();
    cleanups.unshift(() => smokeTimer.stop());
    const auditRetention = new AuditRetention({ boss, db: database.db, log: log.child({ mod: 'audit' }), retentionDays: config.auditRetentionDays ?? 365, pollSeconds: config.pollSeconds });
    await auditRetention.start();
    cleanups.unshift(() => auditRetention.stop());
    webhooks.start();
    cleanups.unshift(() => webhooks.stop());
    let stopped = false;
    return {
      url,
      routes: app.declaredRoutes,
      firstApiKey,
      installationId: install,
      engine,
      hub,
      reconciler,
      pools: keeper,
      webhooks,
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
