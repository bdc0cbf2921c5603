/**
 * Lifetimes, pure: durations (`8h`, `30m`, `1h30m`), an instance's TTL and idle-stop deadlines,
 * what is due at a given instant, and the words an automatic action's event says.
 */

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
/** The longest lifetime or idle stop we take (a year): past that, "forever" is null. */
export const MAX_LIFETIME_SECONDS = 365 * 86400;

/**
 * A duration as seconds: `90s`, `30m`, `8h`, `2d`, `1h30m`, or plain seconds (`3600`); null when
 * it is not one.
 *
 * @example
 * parseDuration('1h30m') // → 5400
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t);
  if (!/^(\d+[smhd])+$/.test(t)) return null;
  let total = 0;
  for (const [, n, u] of t.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNIT_SECONDS[u];
  return total;
}

/**
 * Seconds as the shortest duration text (`8h`, `1h30m`, `45s`).
 *
 * @example
 * formatDuration(5400) // → '1h30m'
 */
export function formatDuration(seconds: number): string {
  let s = Math.max(0, Math.round(seconds));
  if (s === 0) return '0s';
  let out = '';
  for (const [u, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size) {
      out += `${Math.floor(s / size)}${u}`;
      s %= size;
    }
  }
  return out;
}

/** What the lifetime rules read of an instance. */
export interface LifetimeView {
  status: string;
  expiresAt: Date | null;
  idleStopSeconds: number | null;
  /** Last activity the agent reported (or when the instance last became running). */
  lastActiveAt: Date | null;
  runningAt: Date | null;
}

/** What is due now, and when to look again. */
export interface LifetimeVerdict {
  due: 'ttl_expired' | 'idle_stop' | null;
  /** The next deadline to wake at (null: nothing to wait for in this state). */
  next: Date | null;
}

const LIVE = ['pending', 'provisioning', 'running', 'hibernating', 'hibernated'];

/**
 * The instant an instance idles out: its last activity (or running since) plus its idle stop;
 * null when it has no idle stop or is not running.
 *
 * @example
 * idleDeadline({ status: 'running', idleStopSeconds: 60, lastActiveAt: new Date(0), runningAt: null, expiresAt: null }) // → 1970-01-01T00:01:00Z
 */
export function idleDeadline(v: LifetimeView): Date | null {
  if (v.status !== 'running' || !v.idleStopSeconds) return null;
  const since = Math.max(v.lastActiveAt?.getTime() ?? 0, v.runningAt?.getTime() ?? 0);
  if (!since) return null;
  return new Date(since + v.idleStopSeconds * 1000);
}

/**
 * The rule the durable timer applies: TTL first (it destroys, whatever the state short of
 * stopping), then idle (it hibernates a running instance); otherwise the next deadline.
 *
 * @example
 * lifetimeVerdict({ status: 'running', expiresAt: new Date(1000), idleStopSeconds: null, lastActiveAt: null, runningAt: null }, new Date(2000))
 * // → { due: 'ttl_expired', next: null }
 */
export function lifetimeVerdict(v: LifetimeView, now: Date): LifetimeVerdict {
  if (!LIVE.includes(v.status)) return { due: null, next: null };
  if (v.expiresAt && v.expiresAt.getTime() <= now.getTime()) return { due: 'ttl_expired', next: null };
  const idle = idleDeadline(v);
  if (idle && idle.getTime() <= now.getTime()) return { due: 'idle_stop', next: v.expiresAt };
  const candidates = [v.expiresAt, idle].filter((d): d is Date => d !== null);
  const next = candidates.length ? new Date(Math.min(...candidates.map((d) => d.getTime()))) : null;
  return { due: null, next };
}

/**
 * Time left until `deadline` as text (`2h10m left`, `expired`), or null without one.
 *
 * @example
 * timeLeft(new Date(7_800_000), new Date(0)) // → '2h10m left'
 */
export function timeLeft(deadline: Date | null, now: Date): string | null {
  if (!deadline) return null;
  const s = (deadline.getTime() - now.getTime()) / 1000;
  return s <= 0 ? 'due now' : `${formatDuration(Math.ceil(s))} left`;
}

/** The agent's report of its workload's activity (src/hub/messages.ts validates it). */
export interface ActivityReport {
  /** CPU of the workload's processes/containers, percent of one core, over the last interval. */
  cpuPercent?: number;
  /** Open TCP connections of the workload (process), or container network bytes (compose). */
  connections?: number;
  networkBytes?: number;
  /** OpenClaw: connected gateway sessions. */
  sessions?: number;
}

/** Below this CPU (percent of one core) with no connection or session, a workload is idle. */
export const IDLE_CPU_PERCENT = 2;

/**
 * Whether a report shows the workload doing something: a session, an open connection, network
 * traffic, or CPU at or above {@link IDLE_CPU_PERCENT}.
 *
 * @example
 * isActivity({ cpuPercent: 0.5, connections: 0 }) // → false
 */
export function isActivity(a: ActivityReport): boolean {
  return (a.sessions ?? 0) > 0 || (a.connections ?? 0) > 0 || (a.networkBytes ?? 0) > 0 || (a.cpuPercent ?? 0) >= IDLE_CPU_PERCENT;
}

/**
 * The event text of an automatic action, saying why.
 *
 * @example
 * lifetimeReason('idle_stop', { idleStopSeconds: 1800, lastActiveAt: new Date('2026-01-01T14:02:00Z'), workload: 'openclaw' })
 * // → 'idle 30m: no gateway session and < 2% CPU since 14:02 UTC: stopping (hibernate)'
 */
export function lifetimeReason(kind: 'ttl_expired' | 'idle_stop', v: { ttlSeconds?: number | null; idleStopSeconds?: number | null; lastActiveAt?: Date | null; expiresAt?: Date | null; workload: string }): string {
  if (kind === 'ttl_expired') {
    return `ttl ${v.ttlSeconds ? formatDuration(v.ttlSeconds) : ''} expired${v.expiresAt ? ` at ${hhmm(v.expiresAt)}` : ''}: destroying`.replace('ttl  ', 'ttl ');
  }
  const what = v.workload === 'openclaw' ? 'no gateway session' : v.workload === 'compose' ? 'no container network traffic' : 'no open connection';
  return `idle ${formatDuration(v.idleStopSeconds ?? 0)}: ${what} and < ${IDLE_CPU_PERCENT}% CPU since ${v.lastActiveAt ? hhmm(v.lastActiveAt) : 'start'}: stopping (hibernate)`;
}

function hhmm(d: Date): string {
  return `${d.toISOString().slice(11, 16)} UTC`;
}
