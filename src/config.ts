import { resolve } from 'node:path';

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
 * | smokeIntervalSeconds | HANGAR_SMOKE_INTERVAL_SECONDS | 86400 (0 = off) |
 * | releaseKeys | HANGAR_RELEASE_KEYS | (none: agent releases cannot be published) |
 * | updateCheckSeconds | HANGAR_AGENT_UPDATE_SECONDS | 900 |
 * | updateTrialSeconds | HANGAR_AGENT_UPDATE_TRIAL_SECONDS | 120 |
 * | replicaId | HANGAR_REPLICA_ID | hostname-pid |
 * | logLevel | HANGAR_LOG_LEVEL | info |
 */
export interface HangarConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  publicUrl?: string;
  secretKey?: string;
  heartbeatSeconds: number;
  connectTimeoutSeconds: number;
  /** Seconds a bootstrap token lives beyond the connect timeout. */
  replicaId?: string;
  logLevel: string;
  /** Queue polling interval; small in tests. */
  pollSeconds: number;
  /** Seconds between reconciler passes (HANGAR_RECONCILE_SECONDS, default 300; 0 = only on demand). */
  reconcileSeconds: number;
  /** Seconds between timed smoke tests of every running instance (HANGAR_SMOKE_INTERVAL_SECONDS, default 86400; 0 = off). */
  smokeIntervalSeconds: number;
  /** Seconds an unexplained labelled server is kept before deletion (HANGAR_ORPHAN_GRACE_SECONDS, default 600). */
  orphanGraceSeconds: number;
  /** Seconds an instance may stay creating/booting/enrolling/configuring (HANGAR_TIMEOUT_<STATE>_SECONDS; defaults 600/900/300/900). */
  stateTimeouts: { creating: number; booting: number; enrolling: number; configuring: number };
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
  /** How long a new agent release has to prove itself healthy before it is rolled back (HANGAR_AGENT_UPDATE_TRIAL_SECONDS, default 120). */
  updateTrialSeconds: number;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env, flags: Partial<HangarConfig> = {}): HangarConfig {
  const num = (v: string | undefined, d: number, name: string) => {
    if (v === undefined || v === '') return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  return {
    host: flags.host ?? env.HANGAR_HOST ?? '127.0.0.1',
    port: flags.port ?? num(env.HANGAR_PORT, 7070, 'HANGAR_PORT'),
    dataDir: resolve(flags.dataDir ?? env.HANGAR_DATA_DIR ?? '.hangar'),
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
    updateTrialSeconds: flags.updateTrialSeconds ?? num(env.HANGAR_AGENT_UPDATE_TRIAL_SECONDS, 120, 'HANGAR_AGENT_UPDATE_TRIAL_SECONDS'),
    dashboard: flags.dashboard ?? !['0', 'false', 'no', 'off'].includes((env.HANGAR_DASHBOARD ?? '').toLowerCase()),
  };
}
