import { randomUUID } from 'node:crypto';
import type { Enrollment } from '../domain/agent-contract.ts';
import { UnauthorizedError } from '../domain/errors.ts';
import { ENROLL_PROOF_MISMATCH } from '../domain/enroll-proof.ts';
import { isActive, type Lifecycle } from '../domain/lifecycle.ts';
import { hashToken, newToken, tokenMatches } from '../domain/tokens.ts';
import type { Engine } from '../engine/engine.ts';

/** What an agent sends with its bootstrap token (`POST /v1/agents/enroll`). */
export interface EnrollRequest {
  version?: string;
  hostname?: string;
  nonce?: string;
  /** SHA-256 of a secret the agent keeps: only it may enroll again with the spent token. */
  proofHash?: string;
  /** That secret, when enrolling again after a lost answer. */
  proof?: string;
}

/**
 * Exchange a one-time bootstrap token for the agent's identity and key (stored hashed), its
 * workload plan and a single-use Tailscale auth key. The token is spent even if the response
 * is lost: an agent that cannot enroll is caught by the connect timeout.
 *
 * The enrollment is bound to the agent that made it (src/domain/enroll-proof.ts): with a spent
 * token, only a request presenting the secret (`proof`) whose hash the accepted request sent
 * (`proofHash`) enrolls again, while the agent never connected, and it names the next hash.
 *
 * @example
 * await enroll(engine, token, { version: '0.1.0', proofHash: proofHashOf(secret) });
 * await enroll(engine, token, { proof: secret, proofHash: proofHashOf(next) }); // the first answer was lost
 */
export async function enroll(engine: Engine, token: string, meta: EnrollRequest): Promise<Enrollment> {
  const store = engine.store;
  const hash = hashToken(token);
  const row = await store.findBy('bootstrapTokenHash', hash);
  if (!row) throw new UnauthorizedError('unknown bootstrap token');
  if (!row.bootstrapTokenUsedAt && row.bootstrapTokenExpiresAt && row.bootstrapTokenExpiresAt.getTime() < Date.now()) throw new UnauthorizedError('bootstrap token expired');
  if (!isActive(row.status as Lifecycle) || row.status === 'running') throw new UnauthorizedError(`instance is ${row.status}`);
  // The same agent asking again (its first response was lost to a crash or the network):
  // it proves it holds the secret, and it never connected → a fresh key for the same agent id.
  // Anyone else, including whoever saw an earlier request (token, proofHash): refused.
  const retry = row.bootstrapTokenUsedAt !== null;
  const proven = Boolean(retry && meta.proof && row.enrollProofHash && tokenMatches(meta.proof, row.enrollProofHash));
  if (retry && (!proven || row.connection !== 'connecting' || !row.agentId)) throw new UnauthorizedError(meta.proof && row.enrollProofHash && !proven ? ENROLL_PROOF_MISMATCH : 'bootstrap token already used');
  // An old agent (nonce, no proofHash) may enroll once; it cannot prove anything afterwards.
  const enrollProofHash = meta.proofHash?.toLowerCase() ?? null;
  // Mint the tailnet key before the token is spent: if the tailnet fails, the agent retries.
  const tailscale = await engine.tailnetKeyFor(row);
  const agentKey = newToken('hga');
  let agentId: string;
  if (retry) {
    agentId = row.agentId!;
    // The proof is spent with the key: a second request with it (a replay, a race) is refused.
    if (!(await store.reEnroll(row.id, row.enrollProofHash!, { agentKeyHash: hashToken(agentKey), enrollProofHash, agentVersion: meta.version ?? row.agentVersion }))) throw new UnauthorizedError(ENROLL_PROOF_MISMATCH);
    await store.event(row.id, { actor: 'agent', kind: 'warning', reason: `agent ${agentId} enrolled again (its first enrollment response was lost); key rotated`, data: { agentId } });
  } else {
    agentId = randomUUID();
    const spent = await store.spendBootstrapToken(hash, { agentId, agentKeyHash: hashToken(agentKey), agentVersion: meta.version ?? null, enrollProofHash });
    if (!spent) throw new UnauthorizedError('bootstrap token already used');
    await store.event(row.id, { actor: 'agent', kind: 'info', reason: `agent ${agentId} enrolled`, data: { agentId, version: meta.version, hostname: meta.hostname, bound: enrollProofHash !== null } });
  }
  return engine.agentEnrolled(row, { agentId, agentKey }, tailscale);
}
