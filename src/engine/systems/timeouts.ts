import type { Step } from '../../domain/lifecycle.ts';
import type { EngineResources, ProvisioningState } from '../resources.ts';
import { recordAudit } from '../audit.ts';
import { fail } from './teardown.ts';

/**
 * The provisioning state a step belongs to (each state has its own timeout).
 *
 * @example
 * stateOfStep('network') // → 'enrolling'
 */
export function stateOfStep(step: Step | null): ProvisioningState | null {
  if (step === 'create_server') return 'creating';
  if (step === 'boot') return 'booting';
  if (step === 'enroll' || step === 'network') return 'enrolling';
  if (step === 'configure' || step === 'workload') return 'configuring';
  return null;
}

/**
 * pg-boss handler for `instance.connect-timeout`: fail a provisioning instance past its connect
 * timeout, or past its current state's own bound; else wake again at the next deadline.
 *
 * @example
 * await jobs.work('connectTimeout', 1, (id) => connectTimeoutStep(r, id));
 */
export async function connectTimeoutStep(r: EngineResources, instanceId: string): Promise<void> {
  const row = await r.store.find(instanceId);
  if (!row || row.status !== 'provisioning') return;
  // A warm pool member waits, connected, for a create; a claim gives it its timeout back.
  if (row.poolId && !row.poolClaimedAt && row.connection === 'connected') return;
  const deadline = (row.startedAt ?? row.createdAt).getTime() + row.connectTimeoutSeconds * 1000;
  const state = stateOfStep(row.step as Step | null);
  const limit = state ? r.stateTimeouts?.[state] : undefined;
  const entered = limit ? ((await r.store.lastTransitionAt(instanceId)) ?? row.updatedAt).getTime() : 0;
  const stepDeadline = limit ? entered + limit * 1000 : Number.POSITIVE_INFINITY;
  const next = Math.min(deadline, stepDeadline);
  if (Date.now() < next - 100) {
    await r.jobs.enqueue('connectTimeout', instanceId, { startAfter: new Date(next) });
    return;
  }
  const reason = stepDeadline < deadline
    ? `stuck ${state} (at ${row.step}) for more than ${limit}s`
    : row.connection === 'connecting'
      ? `agent did not dial home within ${row.connectTimeoutSeconds}s (stuck at ${row.step})`
      : `instance did not become ready within ${row.connectTimeoutSeconds}s (stuck at ${row.step})`;
  if (row.connection === 'connecting') await r.store.connection(instanceId, { type: 'timeout' }, { actor: 'timeout', reason });
  await fail(r, instanceId, reason, 'timeout');
  await recordAudit(r.store.db, { actor: 'system:timeout', action: 'instance.timeout', objectType: 'instance', objectId: instanceId, outcome: 'ok', reason, data: { step: row.step, onFailure: row.onFailure } });
}
