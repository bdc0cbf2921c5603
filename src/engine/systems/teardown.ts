import { ProviderError } from '../../domain/errors.ts';
import type { Attempt } from '../jobs.ts';
import { providerOf, type EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';
import { hibernateLabels } from './hibernate.ts';
import { ownership } from './ownership.ts';

/**
 * Move an instance to failed (if it can be) and apply its onFailure policy (destroy: teardown).
 *
 * @example
 * await fail(r, id, 'server 42 vanished', 'reconciler');
 */
export async function fail(r: EngineResources, instanceId: string, reason: string, actor: string): Promise<void> {
  const row = await r.store.get(instanceId);
  if (row.status === 'failed' || row.status === 'stopped' || row.status === 'stopping') return;
  await r.store.transition(instanceId, { type: 'fail', reason }, { actor, reason });
  if (row.onFailure === 'destroy') await destroy(r, instanceId, actor, `onFailure=destroy after: ${reason}`);
}

/**
 * Request teardown: stopping now, the server is deleted by a durable job. Idempotent.
 *
 * @example
 * const row = await destroy(r, id, 'api:admin'); // row.status === 'stopping'
 */
export async function destroy(r: EngineResources, instanceId: string, actor: string, reason = 'destroy requested'): Promise<InstanceRow> {
  const row = await r.store.get(instanceId);
  if (row.status === 'stopping' || row.status === 'stopped') {
    if (row.status === 'stopping') await r.jobs.enqueue('teardown', instanceId);
    return row;
  }
  const next = await r.store.transition(instanceId, { type: 'destroy' }, { actor, reason });
  await r.jobs.enqueue('teardown', instanceId);
  return next;
}

/**
 * pg-boss handler for `instance.teardown`: ask the agent to stop, delete every server carrying
 * the instance's labels until the provider says gone (404 counts as done), remove its tailnet
 * device, then stopped.
 *
 * @example
 * await jobs.work('teardown', 8, (id, attempt) => teardownStep(r, id, attempt));
 */
export async function teardownStep(r: EngineResources, instanceId: string, attempt: Attempt): Promise<void> {
  const row = await r.store.find(instanceId);
  if (!row || row.status !== 'stopping') return;
  try {
    if (row.connection === 'connected') {
      const acked = await r.agents.shutdown(instanceId).catch(() => false);
      if (acked) await r.store.event(instanceId, { actor: 'engine', kind: 'info', reason: 'agent stopped its workload' });
    }
    const provider = providerOf(r, row.provider);
    const ids = new Set<string>();
    if (row.serverId) ids.add(row.serverId);
    for (const s of await provider.findServers({ labels: ownership(row) })) ids.add(s.id);
    for (const id of ids) {
      await provider.deleteServer(id);
      await r.store.event(instanceId, { actor: 'engine', kind: 'info', reason: `server ${id} deleted`, data: { serverId: id } });
    }
    // Hibernation images exist only for an instance that was ever stopped: the others cost no
    // extra cloud call (one create and one delete per lifetime). A crash that left an image
    // unrecorded is still found here, and the reconciler sweeps images nobody uses.
    if (provider.deleteSnapshot && (row.hibernateImageId || (await r.store.everEntered(instanceId, 'hibernating')))) {
      const images = new Set<string>(row.hibernateImageId ? [row.hibernateImageId] : []);
      for (const i of await provider.listImages({ kind: 'snapshot', labels: hibernateLabels(row) })) images.add(i.id);
      for (const id of images) {
        await provider.deleteSnapshot(id);
        await r.store.event(instanceId, { actor: 'engine', kind: 'info', reason: `hibernation image ${id} deleted`, data: { imageId: id } });
      }
    }
    const tailnet = r.settings.tailnet;
    if (tailnet && row.tailscale) {
      const device = row.tailscaleDeviceId ? { id: row.tailscaleDeviceId } : await tailnet.findDeviceByHostname(row.serverName);
      if (device) {
        await tailnet.deleteDevice(device.id);
        await r.store.event(instanceId, { actor: 'engine', kind: 'info', reason: `tailscale device ${device.id} deleted` });
      }
    }
    const cur = await r.store.get(instanceId);
    if (cur.connection === 'connected') await r.store.connection(instanceId, { type: 'disconnect' }, { actor: 'engine', reason: 'server deleted' });
    await r.store.transition(instanceId, { type: 'deleted' }, { actor: 'engine', reason: ids.size ? 'server deleted' : 'no server existed' }, { agentKeyHash: null, bootstrapTokenSealed: null, workloadHealthy: null, hibernateImageId: null });
  } catch (err) {
    const last = attempt.retryCount >= attempt.retryLimit;
    const code = err instanceof ProviderError ? err.code : 'error';
    await r.store.event(instanceId, { actor: 'engine', kind: last ? 'error' : 'warning', reason: `teardown attempt ${attempt.retryCount + 1} failed: ${(err as Error).message}`, data: { code } });
    throw err;
  }
}
