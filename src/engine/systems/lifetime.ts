import { ConflictError, IllegalTransitionError, ValidationError } from '../../domain/errors.ts';
import { formatDuration, lifetimeReason, lifetimeVerdict, MAX_LIFETIME_SECONDS } from '../../domain/lifetimes.ts';
import { recordAudit } from '../audit.ts';
import type { EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';
import { stop } from './hibernate.ts';

/**
 * Arm the lifetime timer for an instance at its next deadline (TTL or idle), if it has one. A
 * durable pg-boss job keyed by instance and wake-up time: it survives restarts and replica death,
 * and one replica takes it. Call after anything that moves a deadline (create, extend, running).
 *
 * @example
 * await armLifetime(r, row);
 */
export async function armLifetime(r: EngineResources, row: InstanceRow): Promise<void> {
  if (!row.expiresAt && !row.idleStopSeconds) return;
  const { due, next } = lifetimeVerdict(row, new Date());
  const at = due ? new Date() : next;
  if (at) await r.jobs.enqueue('lifetime', row.id, { startAfter: at });
}

/**
 * pg-boss handler for `instance.lifetime`: apply what is due (TTL → destroy; idle → stop, i.e.
 * hibernate) with an event of kind `ttl_expired` / `idle_stop` saying why, else sleep until the
 * next deadline. Exactly once across replicas: the action is a row-locked transition that only a
 * live (TTL) or running (idle) instance takes; a second firing finds nothing due.
 *
 * @example
 * await jobs.work('lifetime', 1, (id) => lifetimeStep(r, id));
 */
export async function lifetimeStep(r: EngineResources, instanceId: string, now = new Date()): Promise<void> {
  const row = await r.store.find(instanceId);
  if (!row) return;
  const { due, next } = lifetimeVerdict(row, now);
  // The action is the transition's own event (kind in its data): row-locked, so when two replicas
  // fire the same deadline the second finds the state moved on and writes nothing.
  try {
    if (due === 'ttl_expired') {
      const reason = lifetimeReason('ttl_expired', row);
      const data = { kind: 'ttl_expired', expiresAt: row.expiresAt?.toISOString() ?? null, firedAt: now.toISOString() };
      await r.store.transition(instanceId, { type: 'destroy' }, { actor: 'lifetime', reason, data });
      await recordAudit(r.store.db, { actor: 'system:lifetime', project: row.project, action: 'instance.ttl_expired', objectType: 'instance', objectId: instanceId, outcome: 'ok', reason, data });
      await r.jobs.enqueue('teardown', instanceId);
      return;
    }
    if (due === 'idle_stop') {
      const reason = `${lifetimeReason('idle_stop', row)}${activityNote(row.activity)}`;
      const data = { kind: 'idle_stop', lastActiveAt: row.lastActiveAt?.toISOString() ?? null, activity: row.activity ?? null, firedAt: now.toISOString() };
      await stop(r, instanceId, 'lifetime', { reason, data });
      await recordAudit(r.store.db, { actor: 'system:lifetime', project: row.project, action: 'instance.idle_stop', objectType: 'instance', objectId: instanceId, outcome: 'ok', reason, data });
      if (row.expiresAt) await r.jobs.enqueue('lifetime', instanceId, { startAfter: row.expiresAt });
      return;
    }
  } catch (err) {
    if (err instanceof IllegalTransitionError) return; // another replica (or a user) got there first
    throw err;
  }
  if (next) await r.jobs.enqueue('lifetime', instanceId, { startAfter: next });
}

/**
 * The agent's last activity report as reason text (` (last report: 0.4% CPU, 0 connections)`),
 * or nothing without one: an idle stop names what it saw, not only the rule.
 *
 * @example
 * activityNote({ cpuPercent: 0.4, connections: 0 }) // → ' (last report: 0.4% CPU, 0 connections)'
 */
export function activityNote(a: Record<string, unknown> | null | undefined): string {
  if (!a) return ' (no activity report from the agent)';
  const num = (k: string): number | null => (typeof a[k] === 'number' && Number.isFinite(a[k]) ? (a[k] as number) : null);
  const parts: string[] = [];
  const cpu = num('cpuPercent');
  if (cpu !== null) parts.push(`${Math.round(cpu * 10) / 10}% CPU`);
  const conns = num('connections');
  if (conns !== null) parts.push(`${conns} connection${conns === 1 ? '' : 's'}`);
  const bytes = num('networkBytes');
  if (bytes !== null) parts.push(`${bytes} network bytes`);
  const sessions = num('sessions');
  if (sessions !== null) parts.push(`${sessions} session${sessions === 1 ? '' : 's'}`);
  return parts.length ? ` (last report: ${parts.join(', ')})` : ' (no activity report from the agent)';
}

/**
 * Extend an instance's TTL by `seconds`, from its current deadline (or from now if it has none
 * or it passed), and re-arm the timer. An event says by whom and until when.
 *
 * @example
 * await extend(r, id, 7200, 'api:ops'); // expiresAt moved 2h later
 */
export async function extend(r: EngineResources, instanceId: string, seconds: number, actor: string): Promise<InstanceRow> {
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > MAX_LIFETIME_SECONDS) {
    throw new ValidationError('extend by a positive duration of at most 365d', [{ field: 'by', message: 'a positive duration like 2h, at most 365d' }]);
  }
  const row = await r.store.get(instanceId);
  if (!['pending', 'provisioning', 'running', 'hibernating', 'hibernated'].includes(row.status)) throw new ConflictError(`instance is ${row.status}: nothing to extend`);
  const base = Math.max(Date.now(), row.expiresAt?.getTime() ?? 0);
  const expiresAt = new Date(base + seconds * 1000);
  const ttlSeconds = Math.round((expiresAt.getTime() - row.createdAt.getTime()) / 1000);
  const next = await r.store.update(instanceId, { expiresAt, ttlSeconds });
  await r.store.event(instanceId, { actor, kind: 'info', reason: `lifetime extended by ${formatDuration(seconds)}: expires ${expiresAt.toISOString()}`, data: { expiresAt: expiresAt.toISOString(), by: seconds } });
  await armLifetime(r, next);
  return next;
}
