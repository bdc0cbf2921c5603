import type { EventRow, InstanceRow } from '../engine/store.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** The public JSON of an instance: camelCase, RFC 3339, no token hashes or secret values. */
export function instanceJson(row: InstanceRow, monthlyPrice: number | null = null, secretNames: string[] = []) {
  return {
    id: row.id,
    name: row.name,
    serverName: row.serverName,
    provider: row.provider,
    location: row.location,
    serverType: row.serverType,
    image: row.image,
    workload: row.workload,
    config: row.workloadConfig,
    secrets: secretNames,
    status: row.status,
    step: row.step,
    connection: row.connection,
    bootstrapPath: row.bootstrapPath,
    serverId: row.serverId,
    ipv4: row.ipv4,
    ipv6: row.ipv6,
    tailscale: row.tailscale,
    tailnetName: row.tailnetName,
    agentId: row.agentId,
    agentVersion: row.agentVersion,
    lastHeartbeatAt: iso(row.lastHeartbeatAt),
    workloadHealthy: row.workloadHealthy,
    connectTimeoutSeconds: row.connectTimeoutSeconds,
    onFailure: row.onFailure,
    failureReason: row.failureReason,
    labels: row.labels,
    monthlyPrice,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    runningAt: iso(row.runningAt),
  };
}

export function eventJson(e: EventRow) {
  return { id: e.id, instanceId: e.instanceId, at: e.at.toISOString(), actor: e.actor, kind: e.kind, from: e.fromStatus, to: e.toStatus, step: e.step, reason: e.reason, data: e.data };
}

/** Opaque keyset cursor for (createdAt, id). */
export const encodeCursor = (row: InstanceRow) => Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
export function decodeCursor(c: string): { createdAt: Date; id: string } | null {
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const d = new Date(at ?? '');
  return id && !Number.isNaN(d.getTime()) ? { createdAt: d, id } : null;
}
