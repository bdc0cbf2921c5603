import { ProviderError } from '../../domain/errors.ts';
import type { Enrollment, WorkloadPlan } from '../../domain/agent-contract.ts';
import { idlePlan } from '../pools/claim.ts';
import { isPoolMember } from '../pools/store.ts';
import type { Step } from '../../domain/lifecycle.ts';
import { providerOf, type EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';
import { instanceSecrets } from './create.ts';
import { fail } from './teardown.ts';
import { armLifetime } from './lifetime.ts';

/**
 * Move a provisioning instance forward to `step` if it is not already there or past it.
 *
 * @example
 * await advance(r, id, 'configure', 'configure: writing files'); // from an agent's progress frame
 */
export async function advance(r: EngineResources, instanceId: string, step: Step, reason: string, actor = 'agent'): Promise<void> {
  await r.store.advance(instanceId, step, { actor, reason });
}

/**
 * The agent reports its workload (un)healthy: recorded when it changes; the first healthy report
 * of a provisioning instance makes it running.
 *
 * @example
 * await workloadHealthy(r, id, true, 'http 200');
 */
export async function workloadHealthy(r: EngineResources, instanceId: string, healthy: boolean, detail?: string): Promise<void> {
  const row = await r.store.get(instanceId);
  if (isPoolMember(row)) return; // an idle warm member runs nothing yet
  if (row.workloadHealthy !== healthy) {
    await r.store.update(instanceId, { workloadHealthy: healthy });
    await r.store.event(instanceId, { actor: 'agent', kind: healthy ? 'info' : 'warning', reason: `workload ${healthy ? 'healthy' : 'unhealthy'}${detail ? `: ${detail}` : ''}` });
  }
  if (healthy && row.status === 'provisioning') {
    if (row.step !== 'workload') await advance(r, instanceId, 'workload', 'workload started');
    const ran = await r.store.transition(instanceId, { type: 'ready' }, { actor: 'agent', reason: 'agent connected and workload healthy' }, { lastActiveAt: new Date() });
    // A start from an image: the image has served (deleted by a durable job); idle counts from now.
    if (ran.hibernateImageId) await r.jobs.enqueue('hibernate', instanceId);
    await armLifetime(r, ran);
  }
}

/**
 * The network step of an enrolling agent: a single-use, ephemeral tailnet auth key with the
 * instance's tags, or null (with an event saying why) when tailscale is off or no tailnet is
 * configured. Minted before the bootstrap token is spent: if the tailnet fails, the agent retries.
 *
 * @example
 * const tailscale = await tailnetKeyFor(r, row); // { authKey, hostname, tags } | null
 */
export async function tailnetKeyFor(r: EngineResources, row: InstanceRow): Promise<Enrollment['tailscale']> {
  if (!row.tailscale) {
    await r.store.event(row.id, { actor: 'engine', kind: 'info', reason: 'network step skipped: tailscale not requested for this instance' });
    return null;
  }
  const tailnet = r.settings.tailnet;
  if (!tailnet) {
    await r.store.event(row.id, { actor: 'engine', kind: 'warning', reason: 'network step skipped: no tailnet configured (set TAILSCALE_API_KEY or TAILSCALE_OAUTH_CLIENT_ID/_SECRET)' });
    return null;
  }
  const tags = ['tag:hangar', ...row.tailscaleTags.filter((t) => t !== 'tag:hangar')];
  let key: Awaited<ReturnType<typeof tailnet.createAuthKey>>;
  try {
    key = await tailnet.createAuthKey({ tags, expirySeconds: 600, description: `hangar ${row.serverName}` });
  } catch (err) {
    await tailnetMintFailed(r, row, err);
    throw err;
  }
  await r.store.event(row.id, { actor: 'engine', kind: 'info', reason: `tailscale auth key ${key.id} minted (single-use, ephemeral, ${tags.join(' ')})`, data: { keyId: key.id } });
  return { authKey: key.key, hostname: row.serverName, tags, ssh: r.tailscaleSsh ?? true };
}

/**
 * A failed auth-key mint is an event with the vendor's code; a refusal that asking again cannot
 * change (a tag the tailnet's policy does not own, a bad tag, missing scope) fails the instance at
 * once instead of leaving it `booting` until the connect timeout. Transient errors (5xx, 429, the
 * network) leave the agent to retry its enrollment.
 */
async function tailnetMintFailed(r: EngineResources, row: InstanceRow, err: unknown): Promise<void> {
  const vendor = err instanceof ProviderError ? err : null;
  const permanent = vendor !== null && !vendor.retryable && vendor.httpStatus !== undefined && vendor.httpStatus >= 400 && vendor.httpStatus < 500 && vendor.httpStatus !== 429;
  const message = (err as Error).message;
  await r.store.event(row.id, { actor: 'engine', kind: permanent ? 'error' : 'warning', reason: `tailscale auth key not minted: ${message}${permanent ? '' : ' (the agent will retry its enrollment)'}`, data: { vendorCode: vendor?.code ?? null, httpStatus: vendor?.httpStatus ?? null } });
  if (permanent) await fail(r, row.id, `network failed: tailscale refused the auth key: ${message}`, 'engine');
}

/**
 * The rest of an agent's enrollment once its credentials are recorded: the enroll and network
 * steps, the server's addresses (some clouds assign them after create), and the answer the agent
 * gets: its identity, where to dial, its workload plan (secrets opened), its tailnet key.
 *
 * @example
 * return agentEnrolled(r, row, { agentId, agentKey }, tailscale);
 */
export async function agentEnrolled(r: EngineResources, row: InstanceRow, agent: { agentId: string; agentKey: string }, tailscale: Enrollment['tailscale']): Promise<Enrollment> {
  await advance(r, row.id, 'enroll', 'agent enrolled');
  const secrets = instanceSecrets(r, row);
  await advance(r, row.id, 'network', tailscale ? 'tailscale auth key issued' : 'network step done');
  if (!row.ipv4 && row.serverId) {
    // Some clouds (DigitalOcean) assign addresses after create: one look, now that it booted.
    const server = await providerOf(r, row.provider).getServer(row.serverId).catch(() => null);
    if (server?.ipv4 || server?.ipv6) await r.store.update(row.id, { ipv4: server.ipv4 ?? null, ipv6: server.ipv6 ?? null });
  }
  const fresh = await r.store.get(row.id);
  const publicUrl = r.settings.publicUrl;
  return {
    agentId: agent.agentId,
    agentKey: agent.agentKey,
    instanceId: row.id,
    serverName: row.serverName,
    hubUrl: `${publicUrl.replace(/^http/, 'ws')}/v1/agents/connect`,
    heartbeatSeconds: r.heartbeatSeconds,
    env: { AGENT_ID: agent.agentId, SERVER_NAME: row.serverName, SERVER_ID: fresh.serverId ?? '', API_URL: publicUrl, NODE_ENV: 'production' },
    workload: isPoolMember(fresh) ? idlePlan(fresh.workload as WorkloadPlan['kind']) : r.renderWorkload(fresh, secrets),
    tailscale,
    releaseKeys: [...(r.releaseKeys ?? [])],
    updateCheckSeconds: r.updateCheckSeconds ?? 900,
    updateTrialSeconds: r.updateTrialSeconds ?? 120,
  };
}
