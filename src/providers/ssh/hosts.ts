/**
 * Where the `ssh` provider's hosts live: the {@link SshHostStore} contract (atomic claim /
 * release / update; the records themselves are src/domain/ssh-hosts.ts) and an in-memory store
 * for tests. Server ids name a claim of a host: `<host id>~<claim id>`.
 *
 * @example
 * const hosts = new InMemorySshHostStore();
 * const claimed = await hosts.claim(host.id, { labels, serverName }); // null when another instance holds it
 */
import { FREE_HOST, newClaimId, type SshClaim, type SshHost } from '../../domain/ssh-hosts.ts';

/**
 * Where hosts live. The control plane backs it with a table shared by every replica
 * (DbSshHostStore, src/db/stores/ssh-hosts.ts); tests use {@link InMemorySshHostStore}. `claim`,
 * `release` and `update` are atomic compare-and-set / merge operations, so replicas never
 * read-modify-write a host's claim.
 */
export interface SshHostStore {
  list(): Promise<SshHost[]>;
  get(id: string): Promise<SshHost | null>;
  /** Insert or replace (by id). */
  put(host: SshHost): Promise<void>;
  remove(id: string): Promise<void>;
  /**
   * Claim a host for `owner` (labels, server name, state `provisioning`) only when it is free or
   * already held by exactly `owner.labels`. A free host gets a new `claimId` (`owner.claimId`, or
   * a fresh one); the owner claiming again keeps the claim id it has. The claimed host, or null
   * when another instance holds it (or it is not registered): of two racing claims exactly one wins.
   */
  claim(id: string, owner: SshClaim): Promise<SshHost | null>;
  /**
   * Free a host (no labels, no server name, no claim id, state `free`), only while it is still
   * held by `labels` when they are given, and by the claim `claimId` when that is given (null: a
   * claim without a claim id). Whether it was released.
   */
  release(id: string, labels?: Record<string, string>, claimId?: string | null): Promise<boolean>;
  /** Merge `set` into a host in one step; the updated host, or null when it is not registered. */
  update(id: string, set: Partial<SshHost>): Promise<SshHost | null>;
}

/**
 * The server id of a host's current claim: `<host id>~<claim id>`, or the bare host id for a
 * claim made before claim ids existed.
 *
 * @example
 * sshServerId({ id: 'f1c…', claimId: '9a3e…' }) // → 'f1c…~9a3e…'
 */
export function sshServerId(host: Pick<SshHost, 'id' | 'claimId'>): string {
  return host.claimId ? `${host.id}~${host.claimId}` : host.id;
}

/**
 * The host id and claim id a server id names (claim id null for a bare host id).
 *
 * @example
 * parseSshServerId('f1c…~9a3e…') // → { hostId: 'f1c…', claimId: '9a3e…' }
 * parseSshServerId('f1c…') // → { hostId: 'f1c…', claimId: null }
 */
export function parseSshServerId(id: string): { hostId: string; claimId: string | null } {
  const i = id.indexOf('~');
  return i < 0 ? { hostId: id, claimId: null } : { hostId: id.slice(0, i), claimId: id.slice(i + 1) };
}

/** Whether `host` is claimed, and by the claim `claimId` names (null: a claim without a claim id). */
export function holdsClaim(host: SshHost, claimId: string | null): boolean {
  return host.state !== 'free' && (host.claimId ?? null) === claimId;
}

/** Whether `owner` may claim `host`: it is free, or already held by exactly these (non-empty) labels. */
export function claimable(host: SshHost, labels: Record<string, string>): boolean {
  return host.state === 'free' || sameOwner(host.labels, labels);
}

/** An {@link SshHostStore} in memory (copies in and out, so callers cannot alias records). */
export class InMemorySshHostStore implements SshHostStore {
  private readonly hosts = new Map<string, SshHost>();
  async list(): Promise<SshHost[]> {
    return [...this.hosts.values()].map((h) => structuredClone(h));
  }
  async get(id: string): Promise<SshHost | null> {
    const h = this.hosts.get(id);
    return h ? structuredClone(h) : null;
  }
  async put(host: SshHost): Promise<void> {
    this.hosts.set(host.id, structuredClone(host));
  }
  async remove(id: string): Promise<void> {
    this.hosts.delete(id);
  }
  async claim(id: string, owner: SshClaim): Promise<SshHost | null> {
    const h = this.hosts.get(id);
    if (!h || !claimable(h, owner.labels)) return null;
    const claimId = h.state === 'free' ? (owner.claimId ?? newClaimId()) : (h.claimId ?? null);
    return this.update(id, { labels: { ...owner.labels }, serverName: owner.serverName, state: 'provisioning', claimId });
  }
  async release(id: string, labels?: Record<string, string>, claimId?: string | null): Promise<boolean> {
    const h = this.hosts.get(id);
    if (!h || (labels && !sameLabels(h.labels, labels))) return false;
    if (claimId !== undefined && (h.claimId ?? null) !== claimId) return false;
    await this.update(id, FREE_HOST);
    return true;
  }
  async update(id: string, set: Partial<SshHost>): Promise<SshHost | null> {
    const h = this.hosts.get(id);
    if (!h) return null;
    this.hosts.set(id, structuredClone({ ...h, ...set }));
    return structuredClone(this.hosts.get(id)!);
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** `a` and `b` name the same (some) owner. */
function sameOwner(a: Record<string, string>, b: Record<string, string>): boolean {
  return Object.keys(a).length > 0 && sameLabels(a, b);
}
