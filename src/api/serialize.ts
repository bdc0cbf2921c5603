import type { WorkloadKind } from '../bootstrap/types.ts';
import type { EventRow, InstanceRow } from '../engine/store.ts';
import { splitConfig } from '../engine/workload-config.ts';
import { isUuid } from '../domain/ids.ts';
import { idleDeadline } from '../domain/lifetimes.ts';

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
    // Split again on the way out: a row stored before its workload's schema sealed a setting
    // (an `environment` map, a compose file, URL credentials) does not show it either.
    config: splitConfig(row.workload as WorkloadKind, row.workloadConfig ?? {}).config,
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
    monthlyPrice: row.priceMonthly ?? monthlyPrice,
    price: row.priceHourly !== null && row.priceMonthly !== null ? { hourly: row.priceHourly, monthly: row.priceMonthly, currency: row.priceCurrency ?? '' } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    runningAt: iso(row.runningAt),
    ttlSeconds: row.ttlSeconds,
    expiresAt: iso(row.expiresAt),
    idleStopSeconds: row.idleStopSeconds,
    idleStopAt: iso(idleDeadline(row)),
    lastActiveAt: iso(row.lastActiveAt),
    activity: row.activity ?? null,
    keepServer: row.keepServer,
  };
}

export function eventJson(e: EventRow) {
  return { id: e.id, instanceId: e.instanceId, at: e.at.toISOString(), actor: e.actor, kind: e.kind, from: e.fromStatus, to: e.toStatus, step: e.step, reason: e.reason, data: e.data };
}

/** What `encodeCursor` writes: an RFC 3339 UTC instant with milliseconds, `|`, the row's UUID. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z)\|([^|]+)$/;

/**
 * Opaque keyset cursor for (createdAt, id).
 *
 * @example
 * encodeCursor(row) // → 'MjAyNC0wMS0wMVQwMDowMDowMC4wMDBafDVhYTJm…'
 */
export const encodeCursor = (row: InstanceRow) => Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');

/**
 * The (createdAt, id) of a cursor `encodeCursor` made, or null for anything else: a cursor is
 * checked here, before it reaches a query (a non-UUID id or a bad date is a 400, never a database error).
 *
 * @example
 * decodeCursor(encodeCursor(row)) // → { createdAt: row.createdAt, id: row.id }
 * decodeCursor(Buffer.from('2024-01-01T00:00:00Z|nope').toString('base64url')) // → null
 */
export function decodeCursor(c: string): { createdAt: Date; id: string } | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(c)) return null;
  const m = CURSOR.exec(Buffer.from(c, 'base64url').toString('utf8'));
  if (!m || !isUuid(m[2])) return null;
  const d = new Date(m[1]);
  // A real row's creation time: PostgreSQL has no year 0, and nothing here predates 1970.
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970 ? null : { createdAt: d, id: m[2] };
}
