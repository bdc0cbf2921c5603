import { join, resolve } from 'node:path';
import { parseDuration } from './domain/lifetimes.ts';

/**
 * Every setting of the Hangar server in one place. Precedence: flags > env > defaults.
 *
 * | setting | env | default |
 * |---|---|---|
 * | host | HANGAR_HOST | 127.0.0.1 |
 * | port | HANGAR_PORT | 7070 |
 * | dataDir | HANGAR_DATA_DIR | ./.hangar |
 * | databaseUrl | DATABASE_URL | (unset: embedded PGlite in dataDir) |
 * | publicUrl | HANGAR_PUBLIC_URL | http://host:port (what agents dial) |
 * | secretKey | HANGAR_SECRET_KEY | generated into dataDir/secret.key (0600) |
 * | heartbeatSeconds | HANGAR_HEARTBEAT_SECONDS | 10 |
 * | connectTimeoutSeconds | HANGAR_CONNECT_TIMEOUT_SECONDS | 600 |
 * | defaultTtlSeconds | HANGAR_DEFAULT_TTL | (none; a duration: 8h, 30m, or seconds) |
 * | defaultIdleStopSeconds | HANGAR_DEFAULT_IDLE_STOP | (none; a duration) |
 * | smokeIntervalSeconds | HANGAR_SMOKE_INTERVAL_SECONDS | 86400 (0 = off) |
 * | auditRetentionDays | HANGAR_AUDIT_RETENTION_DAYS | 365 (at least 1) |
 * | releaseKeys | HANGAR_RELEASE_KEYS | (none: agent releases cannot be published) |
 * | updateCheckSeconds | HANGAR_AGENT_UPDATE_SECONDS | 900 |
 * | tailscaleSsh | HANGAR_TAILSCALE_SSH | 1 (tailnet instances run Tailscale SSH; 0 = off) |
 * | updateTrialSeconds | HANGAR_AGENT_UPDATE_TRIAL_SECONDS | 120 |
 * | replicaId | HANGAR_REPLICA_ID | hostname-pid |
 * | logLevel | HANGAR_LOG_LEVEL | info |
 * | sshKeyDir | HANGAR_SSH_KEY_DIR | dataDir/ssh-keys (the only place `keyPath` of SSH hosts may name) |
 * | localProvider | HANGAR_LOCAL_PROVIDER | auto (on only while no cloud is configured; 1 = on, 0 = off) |
 * | localCommands | HANGAR_LOCAL_COMMANDS | 0 (local runs only the built-in demo workload) |
 * | allowedEndpoints | HANGAR_ALLOWED_ENDPOINTS | (none: cloud and tailnet endpoints must be https) |
 */
export interface HangarConfig {
  /** Host names the API and dashboard answer to besides loopback, the listen address and the public URL's (HANGAR_ALLOWED_HOSTS; `*` = any). */
  allowedHosts: string[];
  /** Serve /metrics without an API key (HANGAR_METRICS_PUBLIC=1). */
  metricsPublic: boolean;
  /** Failed credentials one address may present per minute before it gets 429 (HANGAR_AUTH_FAILURES_PER_MINUTE, default 30; 0 = no limit). */
  authFailuresPerMinute: number;
  /** Seconds a client has to send a whole request, headers and body (HANGAR_REQUEST_TIMEOUT_SECONDS, default 60). */
  requestTimeoutSeconds: number;
  host: string;
  port: number;
  dataDir: string;
  /** Directory of private key files SSH hosts may name by `keyPath` (HANGAR_SSH_KEY_DIR, default `<dataDir>/ssh-keys`); nothing outside it is read. */
  sshKeyDir: string;
  databaseUrl?: string;
  publicUrl?: string;
  secretKey?: string;
  heartbeatSeconds: number;
  connectTimeoutSeconds: number;
  /** TTL of new instances that set none (HANGAR_DEFAULT_TTL, a duration; unset: no TTL). */
  defaultTtlSeconds?: number;
  /** Idle stop of new instances that set none (HANGAR_DEFAULT_IDLE_STOP; unset: never). */
  defaultIdleStopSeconds?: number;
  /** Seconds a bootstrap token lives beyond the connect timeout. */
  replicaId?: string;
  logLevel: string;
  /** Queue polling interval; small in tests. */
  pollSeconds: number;
  /** Seconds between reconciler passes (HANGAR_RECONCILE_SECONDS, default 300; 0 = only on demand). */
  reconcileSeconds: number;
  /** Seconds between timed smoke tests of every running instance (HANGAR_SMOKE_INTERVAL_SECONDS, default 86400; 0 = off). */
  smokeIntervalSeconds: number;
  /** Days audit rows are kept before the purge job deletes them (HANGAR_AUDIT_RETENTION_DAYS, default 365, at least 1). */
  auditRetentionDays?: number;
  /** Seconds an unexplained labelled server is kept before deletion (HANGAR_ORPHAN_GRACE_SECONDS, default 600). */
  orphanGraceSeconds: number;
  /** Seconds an instance may stay creating/booting/enrolling/configuring (HANGAR_TIMEOUT_<STATE>_SECONDS; defaults 600/900/300/900). */
  stateTimeouts: { creating: number; booting: number; enrolling: number; configuring: number };
  /** Outbound webhooks (HANGAR_WEBHOOK_ALLOW_HTTP, _ALLOW_PRIVATE, _TIMEOUT_MS 10000, _RETRY_BASE_MS 5000, _POLL_MS 1000; HANGAR_ALERT_UNREACHABLE_MINUTES 5). */
  webhooks: { allowHttp: boolean; allowPrivate: boolean; timeoutMs: number; retryBaseMs: number; pollMs: number; unreachableMinutes: number };
  /** Lease of a running step: a replica that dies mid-step loses its job after this (HANGAR_JOB_LEASE_SECONDS, default 180). */
  jobLeaseSeconds: number;
  /** Concurrent provision and teardown steps per process (HANGAR_WORKERS, default 8). */
  workers: number;
  /** Whether to build and serve the dashboard. */
  dashboard: boolean;
  /** Ed25519 public keys (base64 SPKI DER, comma-separated in HANGAR_RELEASE_KEYS) that sign agent releases. */
  releaseKeys: string[];
  /** How often agents ask for an approved release (HANGAR_AGENT_UPDATE_SECONDS, default 900 = seed 004's 15-minute timer). */
  updateCheckSeconds: number;
  /** Tailnet instances join with `tailscale up --ssh` (HANGAR_TAILSCALE_SSH, default on; seed 004's "SSH via Tailscale only"). */
  tailscaleSsh: boolean;
  /** How long a new agent release has to prove itself healthy before it is rolled back (HANGAR_AGENT_UPDATE_TRIAL_SECONDS, default 120). */
  updateTrialSeconds: number;
  /**
   * The `local` provider runs agents as processes on this host (HANGAR_LOCAL_PROVIDER): `auto`
   * (default) offers it only while no cloud (Hetzner, DigitalOcean; env or stored credentials) is
   * configured at start, `on` always, `off` never. SSH hosts do not count as a cloud.
   */
  localProvider: 'auto' | 'on' | 'off';
  /** Whether `local` instances may run their own `config.command`/`config.args` (HANGAR_LOCAL_COMMANDS=1); default only the demo service. */
  localCommands: boolean;
  /** Origins (`http://127.0.0.1:4010`, port `*` for any) that cloud/tailnet endpoints may use besides https (HANGAR_ALLOWED_ENDPOINTS, comma-separated). */
  allowedEndpoints: string[];
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

function localProviderOf(v: string | undefined): HangarConfig['localProvider'] {
  const s = (v ?? '').trim().toLowerCase();
  if (s === '' || s === 'auto') return 'auto';
  if (TRUE.includes(s)) return 'on';
  if (FALSE.includes(s)) return 'off';
  throw new Error(`HANGAR_LOCAL_PROVIDER must be 1 (on), 0 (off) or auto, got "${v}"`);
}

function flagOf(v: string | undefined, name: string): boolean {
  const s = (v ?? '').trim().toLowerCase();
  if (s === '' || FALSE.includes(s)) return false;
  if (TRUE.includes(s)) return true;
  throw new Error(`${name} must be 1 or 0, got "${v}"`);
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env, flags: Partial<HangarConfig> = {}): HangarConfig {
  const num = (v: string | undefined, d: number, name: string) => {
    if (v === undefined || v === '') return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  const duration = (v: string | undefined, name: string) => {
    if (v === undefined || v === '') return undefined;
    const s = parseDuration(v);
    if (s === null) throw new Error(`${name} must be a duration like 8h, 30m, 1h30m or seconds, got "${v}"`);
    return s;
  };
  return {
    defaultTtlSeconds: flags.defaultTtlSeconds ?? duration(env.HANGAR_DEFAULT_TTL, 'HANGAR_DEFAULT_TTL'),
    defaultIdleStopSeconds: flags.defaultIdleStopSeconds ?? duration(env.HANGAR_DEFAULT_IDLE_STOP, 'HANGAR_DEFAULT_IDLE_STOP'),
    host: flags.host ?? env.HANGAR_HOST ?? '127.0.0.1',
    port: flags.port ?? num(env.HANGAR_PORT, 7070, 'HANGAR_PORT'),
    dataDir: resolve(flags.dataDir ?? env.HANGAR_DATA_DIR ?? '.hangar'),
    sshKeyDir: resolve(flags.sshKeyDir ?? (env.HANGAR_SSH_KEY_DIR || join(resolve(flags.dataDir ?? env.HANGAR_DATA_DIR ?? '.hangar'), 'ssh-keys'))),
    databaseUrl: flags.databaseUrl ?? (env.DATABASE_URL || undefined),
    publicUrl: flags.publicUrl ?? (env.HANGAR_PUBLIC_URL || undefined),
    secretKey: flags.secretKey ?? (env.HANGAR_SECRET_KEY || undefined),
    heartbeatSeconds: flags.heartbeatSeconds ?? num(env.HANGAR_HEARTBEAT_SECONDS, 10, 'HANGAR_HEARTBEAT_SECONDS'),
    connectTimeoutSeconds: flags.connectTimeoutSeconds ?? num(env.HANGAR_CONNECT_TIMEOUT_SECONDS, 600, 'HANGAR_CONNECT_TIMEOUT_SECONDS'),
    replicaId: flags.replicaId ?? env.HANGAR_REPLICA_ID,
    logLevel: flags.logLevel ?? env.HANGAR_LOG_LEVEL ?? 'info',
    pollSeconds: flags.pollSeconds ?? num(env.HANGAR_POLL_SECONDS, 2, 'HANGAR_POLL_SECONDS'),
    reconcileSeconds: flags.reconcileSeconds ?? num(env.HANGAR_RECONCILE_SECONDS, 300, 'HANGAR_RECONCILE_SECONDS'),
    smokeIntervalSeconds: flags.smokeIntervalSeconds ?? num(env.HANGAR_SMOKE_INTERVAL_SECONDS, 86_400, 'HANGAR_SMOKE_INTERVAL_SECONDS'),
    auditRetentionDays: flags.auditRetentionDays ?? Math.max(1, num(env.HANGAR_AUDIT_RETENTION_DAYS, 365, 'HANGAR_AUDIT_RETENTION_DAYS')),
    orphanGraceSeconds: flags.orphanGraceSeconds ?? num(env.HANGAR_ORPHAN_GRACE_SECONDS, 600, 'HANGAR_ORPHAN_GRACE_SECONDS'),
    stateTimeouts: flags.stateTimeouts ?? {
      creating: num(env.HANGAR_TIMEOUT_CREATING_SECONDS, 600, 'HANGAR_TIMEOUT_CREATING_SECONDS'),
      booting: num(env.HANGAR_TIMEOUT_BOOTING_SECONDS, 900, 'HANGAR_TIMEOUT_BOOTING_SECONDS'),
      enrolling: num(env.HANGAR_TIMEOUT_ENROLLING_SECONDS, 300, 'HANGAR_TIMEOUT_ENROLLING_SECONDS'),
      configuring: num(env.HANGAR_TIMEOUT_CONFIGURING_SECONDS, 900, 'HANGAR_TIMEOUT_CONFIGURING_SECONDS'),
    },
    jobLeaseSeconds: flags.jobLeaseSeconds ?? num(env.HANGAR_JOB_LEASE_SECONDS, 180, 'HANGAR_JOB_LEASE_SECONDS'),
    workers: flags.workers ?? num(env.HANGAR_WORKERS, 8, 'HANGAR_WORKERS'),
    releaseKeys: flags.releaseKeys ?? (env.HANGAR_RELEASE_KEYS ?? '').split(/[\s,]+/).filter(Boolean),
    updateCheckSeconds: flags.updateCheckSeconds ?? num(env.HANGAR_AGENT_UPDATE_SECONDS, 900, 'HANGAR_AGENT_UPDATE_SECONDS'),
    tailscaleSsh: flags.tailscaleSsh ?? (env.HANGAR_TAILSCALE_SSH === undefined || flagOf(env.HANGAR_TAILSCALE_SSH, 'HANGAR_TAILSCALE_SSH')),
    updateTrialSeconds: flags.updateTrialSeconds ?? num(env.HANGAR_AGENT_UPDATE_TRIAL_SECONDS, 120, 'HANGAR_AGENT_UPDATE_TRIAL_SECONDS'),
    localProvider: flags.localProvider ?? localProviderOf(env.HANGAR_LOCAL_PROVIDER),
    localCommands: flags.localCommands ?? flagOf(env.HANGAR_LOCAL_COMMANDS, 'HANGAR_LOCAL_COMMANDS'),
    allowedEndpoints: flags.allowedEndpoints ?? (env.HANGAR_ALLOWED_ENDPOINTS ?? '').split(/[\s,]+/).filter(Boolean),
    dashboard: flags.dashboard ?? !['0', 'false', 'no', 'off'].includes((env.HANGAR_DASHBOARD ?? '').toLowerCase()),
    allowedHosts: flags.allowedHosts ?? (env.HANGAR_ALLOWED_HOSTS ?? '').split(/[\s,]+/).filter(Boolean),
    metricsPublic: flags.metricsPublic ?? flagOf(env.HANGAR_METRICS_PUBLIC, 'HANGAR_METRICS_PUBLIC'),
    authFailuresPerMinute: flags.authFailuresPerMinute ?? num(env.HANGAR_AUTH_FAILURES_PER_MINUTE, 30, 'HANGAR_AUTH_FAILURES_PER_MINUTE'),
    requestTimeoutSeconds: flags.requestTimeoutSeconds ?? num(env.HANGAR_REQUEST_TIMEOUT_SECONDS, 60, 'HANGAR_REQUEST_TIMEOUT_SECONDS'),
    webhooks: {
      allowHttp: flagOf(env.HANGAR_WEBHOOK_ALLOW_HTTP, 'HANGAR_WEBHOOK_ALLOW_HTTP'),
      allowPrivate: flagOf(env.HANGAR_WEBHOOK_ALLOW_PRIVATE, 'HANGAR_WEBHOOK_ALLOW_PRIVATE'),
      timeoutMs: num(env.HANGAR_WEBHOOK_TIMEOUT_MS, 10_000, 'HANGAR_WEBHOOK_TIMEOUT_MS'),
      retryBaseMs: num(env.HANGAR_WEBHOOK_RETRY_BASE_MS, 5_000, 'HANGAR_WEBHOOK_RETRY_BASE_MS'),
      pollMs: num(env.HANGAR_WEBHOOK_POLL_MS, 1_000, 'HANGAR_WEBHOOK_POLL_MS') || 1_000,
      unreachableMinutes: num(env.HANGAR_ALERT_UNREACHABLE_MINUTES, 5, 'HANGAR_ALERT_UNREACHABLE_MINUTES'),
      ...flags.webhooks,
    },
  };
}
