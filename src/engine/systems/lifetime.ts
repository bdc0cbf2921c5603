import { ConflictError, IllegalTransitionError, ValidationError } from '../../domain/errors.ts';
import { formatDuration, lifetimeReason, lifetimeVerdict, MAX_LIFETIME_SECONDS } from '../../domain/lifetimes.ts';
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
      await r.store.transition(instanceId, { type: 'destroy' }, { actor: 'lifetime', reason, data: { kind: 'ttl_expired', expiresAt: row.expiresAt?.toISOString() ?? null, firedAt: now.toISOString() } });
      await r.jobs.enqueue('teardown', instanceId);
      return;
    }
    if (due === 'idle_stop') {
      const reason = lifetimeReason('idle_stop', row);
      await stop(r, instanceId, 'lifetime', { reason, data: { kind: 'idle_stop', lastActiveAt: row.lastActiveAt?.toISOString() ?? null, activity: row.activity ?? null, firedAt: now.toISOString() } });
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
