import { ConflictError, ProviderError } from '../../domain/errors.ts';
import { LABEL_ROLE } from '../../domain/names.ts';
import type { CloudProvider } from '../../providers/types.ts';
import type { Attempt } from '../jobs.ts';
import { providerOf, type EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';
import { bootstrapToken } from './create.ts';
import { ownership } from './ownership.ts';

/** The role label of an instance's hibernation image (the reconciler finds leaked ones by it). */
export const HIBERNATE_ROLE = 'hibernate';

/** The labels of an instance's hibernation image. */
export const hibernateLabels = (row: Pick<InstanceRow, 'labels'>): Record<string, string> => ({ ...ownership(row), [LABEL_ROLE]: HIBERNATE_ROLE });

/** Whether a provider can image a server (a cloud): hibernation deletes the server; else the process stops. */
const canImage = (p: CloudProvider): boolean => typeof p.powerOff === 'function' && typeof p.createSnapshot === 'function';

export interface StopOptions {
  keepServer?: boolean;
  reason?: string;
  /** Event data (the lifetime timer sets `{ kind: 'idle_stop' }`). */
  data?: Record<string, unknown>;
}

/**
 * Stop a running instance: hibernating now, the durable `hibernate` job does the work (clouds:
 * power off → image → delete the server; `keepServer`: power off only; local and SSH: stop the
 * agent and its workload). Idempotent: a stop of a hibernating or hibernated instance is a no-op.
 *
 * @example
 * await stop(r, id, 'api:ops', { keepServer: false }); // row.status === 'hibernating'
 */
export async function stop(r: EngineResources, instanceId: string, actor: string, opts: StopOptions = {}): Promise<InstanceRow> {
  const row = await r.store.get(instanceId);
  if (row.status === 'hibernating' || row.status === 'hibernated') {
    if (row.status === 'hibernating') await r.jobs.enqueue('hibernate', instanceId);
    return row;
  }
  const provider = providerOf(r, row.provider);
  if (opts.keepServer && typeof provider.powerOff !== 'function') {
    throw new ConflictError(`${row.provider} servers cannot be powered off; stop without keepServer (it stops the agent and its workload)`);
  }
  const how = opts.keepServer ? 'power off, keeping the server' : canImage(provider) ? 'power off → image → delete the server' : 'stop the agent and its workload';
  const next = await r.store.transition(instanceId, { type: 'hibernate' }, { actor, reason: opts.reason ?? `stop requested: ${how}`, data: opts.data ?? null }, { keepServer: Boolean(opts.keepServer) });
  await r.jobs.enqueue('hibernate', instanceId);
  return next;
}

/**
 * Start a stopped (hibernated) instance: back to provisioning with a fresh one-time token, from
 * its image (or its kept server, powered on), through enroll → running as a new one goes.
 *
 * @example
 * await start(r, id, 'api:ops'); // row.status === 'provisioning'
 */
export async function start(r: EngineResources, instanceId: string, actor: string): Promise<InstanceRow> {
  const row = await r.store.get(instanceId);
  if (row.status !== 'hibernated') {
    if (row.status === 'provisioning' || row.status === 'running') return row; // started already
    throw new ConflictError(`instance is ${row.status}; only a stopped (hibernated) instance can be started${row.status === 'hibernating' ? ': wait for the stop to finish' : ''}`);
  }
  const kept = Boolean(row.keepServer && row.serverId);
  const fresh = bootstrapToken(r, row.connectTimeoutSeconds);
  const now = new Date();
  const next = await r.store.transition(
    instanceId,
    { type: 'wake', step: kept ? 'boot' : 'create_server' },
    { actor, reason: kept ? `start requested: powering server ${row.serverId} on` : row.hibernateImageId ? `start requested: restoring from image ${row.hibernateImageId}` : 'start requested: starting the agent again' },
    {
      ...(kept ? {} : { ...fresh.columns, bootstrapTokenUsedAt: null, enrollProofHash: null, agentKeyHash: null, bootstrapPath: row.hibernateImageId ? 'snapshot' : row.bootstrapPath }),
      connection: kept ? row.connection : 'connecting',
      workloadHealthy: null,
      startedAt: now,
      lastActiveAt: now,
    },
  );
  if (kept) await r.jobs.enqueue('hibernate', instanceId);
  else await r.jobs.enqueue('provision', instanceId);
  await r.jobs.enqueue('connectTimeout', instanceId, { startAfter: new Date(now.getTime() + row.connectTimeoutSeconds * 1000) });
  return next;
}

/**
 * pg-boss handler for `instance.hibernate`, every step looking before it acts (resumable after a
 * kill -9 at any point): a hibernating instance is powered off, imaged (an image already labelled
 * for it is adopted), its servers deleted, then hibernated; a kept server being started is
 * powered on; a running instance restored from an image gets that image deleted.
 *
 * @example
 * await jobs.work('hibernate', 4, (id, attempt) => hibernateStep(r, id, attempt));
 */
export async function hibernateStep(r: EngineResources, instanceId: string, attempt: Attempt): Promise<void> {
  const row = await r.store.find(instanceId);
  if (!row) return;
  try {
    if (row.status === 'hibernating') await hibernate(r, row);
    else if (row.status === 'provisioning' && row.step === 'boot' && row.keepServer && row.serverId) await powerOn(r, row);
    else if (row.status === 'running' && row.hibernateImageId) await dropImage(r, row);
  } catch (err) {
    const last = attempt.retryCount >= attempt.retryLimit;
    const code = err instanceof ProviderError ? err.code : 'error';
    await r.store.event(instanceId, { actor: 'engine', kind: last ? 'error' : 'warning', reason: `${row.status === 'hibernating' ? 'stop' : 'start'} attempt ${attempt.retryCount + 1} failed${last ? '' : ', will retry'}: ${(err as Error).message}`, data: { code } });
    throw err;
  }
}

async function hibernate(r: EngineResources, row: InstanceRow): Promise<void> {
  const provider = providerOf(r, row.provider);
  const note = (reason: string, data?: Record<string, unknown>) => r.store.event(row.id, { actor: 'engine', kind: 'info', reason, data: data ?? null });
  if (row.connection === 'connected' && (await r.agents.shutdown(row.id).catch(() => false))) await note('agent stopped its workload');
  let imageId: string | null = row.hibernateImageId;
  let serverGone = false;
  if (row.keepServer) {
    if (row.serverId) await provider.powerOff!(row.serverId);
    await note(`server ${row.serverId} powered off (kept: it still bills)`, { serverId: row.serverId });
  } else if (canImage(provider)) {
    const servers = await provider.findServers({ labels: ownership(row) });
    const server = servers.find((s) => s.id === row.serverId) ?? servers[0];
    if (!imageId) {
      const [existing] = await provider.listImages({ kind: 'snapshot', labels: hibernateLabels(row) });
      if (existing) {
        imageId = existing.id;
        await note(`adopted image ${existing.id} labelled for this instance`, { imageId });
      } else {
        if (!server) throw new ProviderError(provider.name, 'not_found', `no server labelled for instance ${row.id} to image`, 404, false);
        await provider.powerOff!(server.id);
        await note(`server ${server.id} powered off`, { serverId: server.id });
        const image = await provider.createSnapshot!(server.id, `hangar hibernate ${row.serverName}`, hibernateLabels(row));
        imageId = image.id;
        await note(`image ${image.id} of server ${server.id} created`, { imageId, serverId: server.id });
      }
      await r.store.update(row.id, { hibernateImageId: imageId });
    }
    serverGone = true;
    for (const s of servers) {
      await provider.deleteServer(s.id);
      await note(`server ${s.id} deleted (image ${imageId} keeps its disk)`, { serverId: s.id });
    }
  } else {
    // local: the process is the server; ssh: the host is not ours to delete, only the agent and workload on it.
    serverGone = true;
    const ids = new Set<string>(row.serverId ? [row.serverId] : []);
    for (const s of await provider.findServers({ labels: ownership(row) })) ids.add(s.id);
    for (const id of ids) await provider.deleteServer(id);
    await note(ids.size ? `agent and workload stopped on ${[...ids].join(', ')}` : 'no agent was running');
  }
  const cur = await r.store.get(row.id);
  if (cur.connection === 'connected') await r.store.connection(row.id, { type: 'disconnect' }, { actor: 'engine', reason: 'server stopped' });
  await r.store.transition(row.id, { type: 'hibernated' }, { actor: 'engine', reason: row.keepServer ? 'stopped (server kept, powered off)' : imageId ? `stopped: only image ${imageId} remains` : 'stopped' }, serverGone ? { serverId: null, ipv4: null, ipv6: null, hubReplica: null } : { hubReplica: null });
}

async function powerOn(r: EngineResources, row: InstanceRow): Promise<void> {
  const provider = providerOf(r, row.provider);
  if (typeof provider.powerOn !== 'function') throw new ProviderError(provider.name, 'unsupported', `${provider.name} cannot power a server on`, 400, false);
  await provider.powerOn(row.serverId!);
  await r.store.event(row.id, { actor: 'engine', kind: 'info', reason: `server ${row.serverId} powered on; waiting for the agent`, data: { serverId: row.serverId } });
}

/** The restored instance runs: its hibernation image has served and is deleted. */
async function dropImage(r: EngineResources, row: InstanceRow): Promise<void> {
  const provider = providerOf(r, row.provider);
  await provider.deleteSnapshot?.(row.hibernateImageId!);
  await r.store.update(row.id, { hibernateImageId: null, keepServer: null });
  await r.store.event(row.id, { actor: 'engine', kind: 'info', reason: `image ${row.hibernateImageId} deleted: the instance runs again`, data: { imageId: row.hibernateImageId } });
}
