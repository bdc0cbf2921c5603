import { withApiLane, type QueuedCall } from '../../http/lanes.ts';
import type { EngineResources } from '../resources.ts';
import { hibernateStep } from './hibernate.ts';
import { lifetimeStep } from './lifetime.ts';
import { provisionStep } from './provision.ts';
import { teardownStep } from './teardown.ts';
import { connectTimeoutStep } from './timeouts.ts';

/**
 * Register this process's pg-boss workers: a few per provision/teardown queue (one slow cloud
 * call must not hold up every instance) and one timeout watcher.
 *
 * @example
 * await work(r); // after the server listens
 */
export async function work(r: EngineResources): Promise<void> {
  const n = r.workers ?? 8;
  // Cloud-API lanes: teardown first, then creates (each told its place in line), lists last.
  await r.jobs.work('provision', n, (id, attempt) => withApiLane({ lane: 'create', onQueued: (q) => void queuedEvent(r, id, q) }, () => provisionStep(r, id, attempt)));
  await r.jobs.work('teardown', n, (id, attempt) => withApiLane({ lane: 'urgent' }, () => teardownStep(r, id, attempt)));
  await r.jobs.work('connectTimeout', 1, (id) => connectTimeoutStep(r, id));
  await r.jobs.work('hibernate', Math.max(2, Math.ceil(n / 2)), (id, attempt) => hibernateStep(r, id, attempt));
  await r.jobs.work('lifetime', 1, (id) => lifetimeStep(r, id));
}

/** A create waits for the cloud-API budget: say so on the instance, with its place in line. */
async function queuedEvent(r: EngineResources, instanceId: string, q: QueuedCall): Promise<void> {
  const wait = q.retryAt ? ` (next token in ~${Math.max(1, Math.ceil((q.retryAt - Date.now()) / 1000))} s)` : '';
  await r.store
    .event(instanceId, { actor: 'engine', kind: 'info', reason: `waiting for the ${q.vendor} API budget: position ${q.position} in line${wait}`, data: { budget: { vendor: q.vendor, lane: q.lane, position: q.position } } })
    .catch(() => {});
}

/**
 * Give a non-terminal instance its driving job back (after a crash lost it, or a teardown ran
 * out of retries). Idempotent: the queue keeps one live job per instance. True if enqueued.
 *
 * @example
 * for (const row of await store.byStatus(['pending', 'provisioning', 'stopping'])) await resume(r, row.id);
 */
export async function resume(r: EngineResources, instanceId: string): Promise<boolean> {
  const row = await r.store.find(instanceId);
  if (!row) return false;
  const timeoutAt = new Date((row.startedAt ?? row.createdAt).getTime() + row.connectTimeoutSeconds * 1000);
  if (row.status === 'stopping') return r.jobs.enqueue('teardown', instanceId);
  if (row.status === 'hibernating' || (row.status === 'running' && row.hibernateImageId)) return r.jobs.enqueue('hibernate', instanceId);
  // A kept server being started: power it on again (idempotent), the agent then reconnects.
  if (row.status === 'provisioning' && row.step === 'boot' && row.keepServer && row.connection !== 'connected') await r.jobs.enqueue('hibernate', instanceId);
  if (row.status === 'pending' || (row.status === 'provisioning' && row.step === 'create_server')) {
    const a = await r.jobs.enqueue('provision', instanceId);
    const b = await r.jobs.enqueue('connectTimeout', instanceId, { startAfter: timeoutAt });
    return a || b;
  }
  if (row.status === 'provisioning') return r.jobs.enqueue('connectTimeout', instanceId, { startAfter: timeoutAt });
  return false;
}
