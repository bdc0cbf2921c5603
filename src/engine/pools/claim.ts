/**
 * A create that matches a warm pool takes one of its members instead of a new server: the
 * member's row gets the create's name, settings and sealed secrets (exactly once across
 * replicas: {@link PoolStore.claim}), then its connected agent is told to fetch that workload
 * (`configure`), so only configure and workload remain. Pool members themselves are created
 * here too (no user settings, no secrets: the agent gets an idle plan).
 *
 * @example
 * const row = await claimFromPool(r, input, 'api:admin'); // null: no warm member, create as usual
 */
import { defaultInstanceName } from '../../domain/names.ts';
import type { WorkloadPlan } from '../../domain/agent-contract.ts';
import { seal } from '../../domain/tokens.ts';
import type { EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';
import type { CreateInstanceInput } from '../systems/create.ts';
import { fail } from '../systems/teardown.ts';

/**
 * Claim a warm member for `input` (already validated, secrets completed); null when no pool
 * matches or none of its members is warm. Tailnet instances and custom images are never pooled.
 */
export async function claimFromPool(r: EngineResources, input: CreateInstanceInput, actor: string): Promise<InstanceRow | null> {
  if (!r.pools || input.tailscale || input.image) return null;
  const requested = input.connectTimeoutSeconds ?? r.connectTimeoutSeconds;
  const hit = await r.pools.store.claim(
    { project: input.project ?? 'default', provider: input.provider, serverType: input.serverType ?? null, location: input.location ?? null, workload: input.workload },
    {
      name: input.name ?? '',
      workloadConfig: input.workloadConfig,
      secretsSealed: Object.keys(input.secrets).length ? seal(JSON.stringify(input.secrets), r.secretKey) : null,
      onFailure: input.onFailure ?? 'destroy',
      connectTimeoutSeconds: requested,
    },
  );
  if (!hit) return null;
  const { member, pool } = hit;
  // The connect timeout counts from creation: give the claimed instance its full timeout from now.
  const elapsed = Math.ceil((Date.now() - member.createdAt.getTime()) / 1000);
  const row = await r.store.update(member.id, { name: input.name ?? defaultInstanceName(input.workload, member.id), connectTimeoutSeconds: elapsed + requested });
  await r.store.event(member.id, { actor, kind: 'info', reason: `claimed from warm pool ${pool.name}: server ${member.serverId} is up with its agent connected; configure and workload remain`, data: { pool: pool.name, poolId: pool.id } });
  await r.jobs.enqueue('connectTimeout', member.id, { startAfter: new Date(Date.now() + requested * 1000) });
  r.pools.refill();
  void configureClaimed(r, member.id);
  return row;
}

/** Tell the claimed member's agent to fetch and run its workload; fail the instance if it cannot. */
async function configureClaimed(r: EngineResources, id: string): Promise<void> {
  try {
    const res = await r.agents.configure(id);
    if (res.ok) return;
    await fail(r, id, `the warm server did not take its workload: ${res.error ?? 'the agent refused configure'}`, 'engine');
  } catch (err) {
    r.log.warn({ err: (err as Error).message, instanceId: id }, 'configure of a claimed pool member failed');
  }
}

/**
 * The plan an unclaimed member's agent gets at enrollment: nothing to run until `configure`.
 *
 * @example
 * idlePlan('openclaw').idle // → true
 */
export function idlePlan(kind: WorkloadPlan['kind']): WorkloadPlan {
  return { kind, files: [], start: [], stop: [], health: { type: 'http', url: 'http://127.0.0.1:1/' }, idle: true };
}
