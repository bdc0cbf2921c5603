/**
 * A host of the `ssh` provider as it is stored: {@link SshHost} (the registered server, its
 * trust, and the claim of the instance provisioned on it), who claims one ({@link SshClaim}),
 * and the two facts every store shares: what a released host looks like ({@link FREE_HOST}) and
 * a claim id ({@link newClaimId}). The stores (src/providers/ssh/hosts.ts in memory,
 * src/db/stores/ssh-hosts.ts in the database) and the provider read these.
 *
 * @example
 * const host: SshHost = { ...registered, ...FREE_HOST };
 * const claim: SshClaim = { labels, serverName, claimId: newClaimId() };
 */
import { randomBytes } from 'node:crypto';

/** What a probe learned about a host (kept on the host record for the catalogue). */
export interface SshHostFacts {
  /** `ID` from /etc/os-release, e.g. `ubuntu`. */
  os: string;
  /** `VERSION_ID`, e.g. `24.04`. */
  osVersion: string;
  /** `PRETTY_NAME`, e.g. `Ubuntu 24.04.1 LTS`. */
  prettyName: string;
  /** `uname -m`, e.g. `x86_64`, `aarch64`. */
  arch: string;
  cores: number;
  memoryGb: number;
  diskGb: number;
  /** Whether systemd is PID 1. */
  systemd: boolean;
  /** `node --version` of the node the agent would run on, or null when there is none. */
  nodeVersion: string | null;
}

/**
 * A registered server. `labels` are the ownership labels of the instance provisioned on it
 * (empty when free), so `findServers` by label works like on a cloud.
 */
export interface SshHost {
  id: string;
  /** Unique, DNS-label-like; what `spec.location` names. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** The private key, sealed with the installation's secret key (`seal()`); or null with `keyPath`. */
  privateKeySealed: string | null;
  /** The key's passphrase, sealed, when it has one. */
  passphraseSealed: string | null;
  /** A private key file in the key directory (HANGAR_SSH_KEY_DIR; a name in it, or an absolute path inside it), read at each connection. */
  keyPath: string | null;
  /** SHA-256 host-key fingerprint as OpenSSH prints it (`SHA256:…`); null until first use under TOFU. */
  hostKey: string | null;
  /** `pinned`: given at registration; `tofu`: recorded at the first connection, then enforced. */
  hostKeyTrust: 'pinned' | 'tofu';
  /** When a TOFU fingerprint was recorded. */
  hostKeyRecordedAt: string | null;
  /** Remote directory Hangar installs into (`/opt/hangar` or `/opt/hangar-<name>`); null = the provider's default (`/opt/hangar`). */
  remoteRoot: string | null;
  /** Keep the remote files on teardown (only the agent is stopped). */
  keepFiles: boolean;
  /** Ownership labels of the instance provisioned here; `{}` when free. */
  labels: Record<string, string>;
  /** `spec.name` of the server provisioned here (what `findServers({ name })` matches). */
  serverName: string | null;
  /** `free` → `provisioning` (bootstrap running) → `ready` (agent started) → `free` on teardown. */
  state: 'free' | 'provisioning' | 'ready';
  /**
   * Random id of the current claim (set when a free host is claimed, kept while the same owner
   * claims again, null when free); part of the server id. Absent or null on a claim made before
   * claim ids existed.
   */
  claimId?: string | null;
  provisionedAt: string | null;
  facts: SshHostFacts | null;
  createdAt: string;
}

/** Who claims a host: the instance's ownership labels and its server name. */
export interface SshClaim {
  labels: Record<string, string>;
  serverName: string;
  /** The claim id to record when the host is free (default: a fresh {@link newClaimId}); an owner claiming again keeps its own. */
  claimId?: string;
}

/** The fields a host gets back when it is released (every store resets these). */
export const FREE_HOST = { labels: {}, serverName: null, state: 'free', provisionedAt: null, claimId: null } as const satisfies Partial<SshHost>;

/** A fresh claim id: 16 hex characters. */
export function newClaimId(): string {
  return randomBytes(8).toString('hex');
}

