import { tokenMatches } from '../domain/tokens.ts';
import type { InstanceRow, Store } from '../engine/store.ts';

/**
 * An agent's credentials from `Authorization: Bearer <agentId>:<agentKey>`, or null. Only a real
 * UUID and a key of newToken's shape (`hga_` + 32 bytes base64url) pass, so nothing malformed
 * ever reaches the database.
 *
 * @example
 * parseAgentAuthorization(`Bearer ${agentId}:${agentKey}`) // → { agentId, agentKey }
 * parseAgentAuthorization('Bearer nope') // → null
 */
export function parseAgentAuthorization(header: string | undefined): { agentId: string; agentKey: string } | null {
  const m = /^Bearer ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(hga_[A-Za-z0-9_-]{43})$/.exec(header ?? '');
  return m ? { agentId: m[1], agentKey: m[2] } : null;
}

/**
 * The live instance whose agent presents `Authorization: Bearer <agentId>:<agentKey>`, or null
 * (the hub's upgrade and the API's `agent` access both ask this).
 *
 * @example
 * const row = await agentByAuthorization(engine.store, req.headers.authorization); // null → 401
 */
export async function agentByAuthorization(store: Pick<Store, 'findBy'>, header: string | undefined): Promise<InstanceRow | null> {
  const creds = parseAgentAuthorization(header);
  if (!creds) return null;
  const row = await store.findBy('agentId', creds.agentId);
  if (!row || !row.agentKeyHash || !tokenMatches(creds.agentKey, row.agentKeyHash) || row.status === 'stopped') return null;
  return row;
}
