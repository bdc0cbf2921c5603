/**
 * The `ssh` provider: bring your own server. A "server" is a registered host (a VPS the user
 * already has) on which Hangar installs and starts the agent over SSH; the agent then enrolls
 * and dials home like on any cloud.
 *
 * - Hosts are registered with {@link registerHost} (address, port, user, a private key sealed
 *   with the installation's secret key or a key file path, and a pinned host-key fingerprint or
 *   trust on first use) and kept in an {@link SshHostStore}.
 * - `createServer(spec)` picks the host named by `spec.location` (host name or id; falling back
 *   to `spec.serverType`, then to any free host) and claims it with a compare-and-set in the
 *   store ({@link SshHostStore.claim}: of replicas racing for one host exactly one wins, the
 *   others get `host_busy` or try the next free host), connects with ssh2 enforcing the host key,
 *   uploads the agent bundle and the bootstrap config extracted from `spec.userData` (0600, under
 *   the remote root, default `/opt/hangar`), runs a small POSIX `sh` bootstrap whose output is
 *   streamed line by line to `onLog` (and appended to `<root>/logs/install.log`, which the agent
 *   forwards as instance events), and starts the agent detached: a systemd unit when systemd is
 *   PID 1 and we are root (or have sudo), otherwise `setsid nohup`. Re-running on the same host
 *   for the same instance stops the previous agent first (idempotent).
 * - Server ids are per claim, `<host id>~<claim id>` ({@link sshServerId}): claiming a free host
 *   records a fresh random `claimId` on it (in the same compare-and-set as the claim), the owner
 *   claiming again keeps it, releasing clears it. Host ids are reused by the next instance, claim
 *   ids never are, so a late `getServer`/`deleteServer` with a previous instance's server id finds
 *   nothing (null / no-op) instead of that next instance's server. A bare host id (what servers
 *   got before claim ids) stands for a claim made before them, i.e. one without a `claimId`.
 * - `deleteServer(id)` stops the agent (SIGTERM to its process group: the agent stops its
 *   workload first; any process running with this root's `--config`, so an agent its supervisor
 *   left behind too), removes the unit and the remote root unless `keepFiles`, and clears the
 *   host's labels, only while the host is still held by that server id's claim (otherwise the
 *   server is already gone). It never deletes the host record.
 * - Errors are {@link ProviderError}s with stable codes: `connection_refused`, `auth_failed`,
 *   `host_key_mismatch` (both fingerprints in the message), `unsupported_os`, `connection_lost`
 *   (retryable), `connection_timeout`, `host_not_found`, `host_busy`, `no_free_host`,
 *   `node_missing`, `bootstrap_failed`, …
 *
 * @example
 * const hosts = new InMemorySshHostStore();
 * await registerHost(hosts, { name: 'vps-1', address: '203.0.113.7', privateKey: pem }, secretKey);
 * const ssh = new SshProvider({ hosts, secretKey, agentBundle: ensureAgentBundle });
 * await ssh.createServer({ name, labels, location: 'vps-1', userData }); // → { id: '<host id>~<claim id>', status: 'running', … }
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { posix } from 'node:path';
import ssh2 from 'ssh2';
import type { Client as SshClient, ConnectConfig } from 'ssh2';
import { parse as parseYaml } from 'yaml';
import { extractBootstrap } from '../bootstrap/extract.ts';
import type { BootstrapConfig } from '../bootstrap/types.ts';
import { ConflictError, ProviderError, ValidationError } from '../domain/errors.ts';
import { LABEL_INSTANCE } from '../domain/names.ts';
import { open, seal } from '../domain/tokens.ts';
import type { CloudProvider, FindQuery, Image, Location, ServerInfo, ServerSpec, ServerType } from './types.ts';

const { Client, utils } = ssh2;

// ── hosts ─────────────────────────────────────────────────────────────────────────────────

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
  /** A private key file on the control plane's machine, read at each connection. */
  keyPath: string | null;
  /** SHA-256 host-key fingerprint as OpenSSH prints it (`SHA256:…`); null until first use under TOFU. */
  hostKey: string | null;
  /** `pinned`: given at registration; `tofu`: recorded at the first connection, then enforced. */
  hostKeyTrust: 'pinned' | 'tofu';
  /** When a TOFU fingerprint was recorded. */
  hostKeyRecordedAt: string | null;
  /** Remote directory Hangar installs into; null = the provider's default (`/opt/hangar`). */
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

/**
 * Where hosts live. The control plane backs it with a table shared by every replica
 * ({@link DbSshHostStore}); tests use {@link InMemorySshHostStore}. `claim`, `release` and
 * `update` are atomic compare-and-set / merge operations, so replicas never read-modify-write a
 * host's claim.
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

/** The fields {@link SshHostStore.release} resets. */
export const FREE_HOST = { labels: {}, serverName: null, state: 'free', provisionedAt: null, claimId: null } as const satisfies Partial<SshHost>;

/** A fresh claim id: 16 hex characters. */
export function newClaimId(): string {
  return randomBytes(8).toString('hex');
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
function claimable(host: SshHost, labels: Record<string, string>): boolean {
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

/** What an operator gives to register a host. */
export interface RegisterHostInput {
  name: string;
  address: string;
  /** Default 22. */
  port?: number;
  /** Default `root`. */
  user?: string;
  /** OpenSSH or PEM private key text (stored sealed). Exactly one of `privateKey` and `keyPath`. */
  privateKey?: string;
  /** Passphrase of an encrypted key (stored sealed). */
  passphrase?: string;
  /** Absolute path of a private key file on the control plane's machine. */
  keyPath?: string;
  /**
   * Pin: `SHA256:…` as `ssh-keygen -lf` prints it, or the host's public key line
   * (`ssh-ed25519 AAAA…`, as in known_hosts). Omitted: trust on first use.
   */
  hostKey?: string;
  remoteRoot?: string;
  keepFiles?: boolean;
}

const RE_HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RE_USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const RE_ADDRESS = /^[A-Za-z0-9.-]{1,253}$/;
const RE_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
/** Directories a remote root may never be (teardown removes the root recursively). */
const FORBIDDEN_ROOTS = new Set(['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib64', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var', '/var/lib', '/usr/local', '/mnt', '/media']);

/** Hangar's default remote root (the same tree cloud-init uses). */
export const DEFAULT_REMOTE_ROOT = '/opt/hangar';
/** The agent's systemd unit (the same name the cloud install script uses). */
export const SSH_AGENT_UNIT = 'hangar-agent.service';
/** Where cloud-init user-data carries the install script (mirrors src/bootstrap/install-script.ts). */
const USER_DATA_INSTALL_SCRIPT = '/opt/hangar/bootstrap/install.sh';

/**
 * Why a remote root is unacceptable, or null when it is fine: absolute, plain characters, no
 * `..`, at least two levels deep and not a system directory (teardown runs `rm -rf` on it).
 *
 * @example
 * remoteRootProblem('/opt/hangar') // → null
 * remoteRootProblem('/usr') // → 'must not be a system directory'
 */
export function remoteRootProblem(root: string): string | null {
  if (typeof root !== 'string' || !root.startsWith('/')) return 'must be an absolute path';
  if (!/^\/[A-Za-z0-9._/-]+$/.test(root) || root.length > 200) return 'may contain only letters, digits, ".", "_", "-" and "/"';
  const norm = posix.normalize(root).replace(/\/+$/, '');
  if (norm !== root.replace(/\/+$/, '') || root.split('/').includes('..')) return 'must be a normalised path without ".."';
  if (FORBIDDEN_ROOTS.has(norm)) return 'must not be a system directory';
  if (norm.split('/').filter(Boolean).length < 2) return 'must be at least two levels deep, e.g. /opt/hangar';
  return null;
}

/**
 * The SHA-256 fingerprint of a raw SSH public key blob, exactly as OpenSSH prints it.
 *
 * @example
 * fingerprint(Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAI…', 'base64')) // → 'SHA256:…' (43 base64 chars, no padding)
 */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Normalise a host-key pin: a `SHA256:` fingerprint is kept, a public key line
 * (`ssh-ed25519 AAAA… comment`, or a known_hosts line) becomes its fingerprint. Null when it is neither.
 */
export function normalizeHostKey(input: string): string | null {
  const s = input.trim();
  if (RE_FINGERPRINT.test(s)) return s;
  const words = s.split(/\s+/);
  for (let i = 0; i < words.length - 1; i++) {
    if (!/^(ssh-|ecdsa-|sk-)/.test(words[i])) continue;
    const blob = Buffer.from(words[i + 1], 'base64');
    if (blob.length < 20) return null;
    // The blob starts with its own key type as an SSH string: check it matches.
    const len = blob.readUInt32BE(0);
    if (blob.subarray(4, 4 + len).toString('latin1') !== words[i]) return null;
    return fingerprint(blob);
  }
  return null;
}

/**
 * Validate and store a new host (private key sealed with `secretKey`). Throws ValidationError
 * naming each bad field, ConflictError when the name is taken. Does not connect: call
 * {@link SshProvider.probe} (or {@link probeHost}) to check reachability, OS and host key.
 *
 * @example
 * const host = await registerHost(store, { name: 'vps-1', address: '203.0.113.7', privateKey: pem, hostKey: 'SHA256:…' }, secretKey);
 */
export async function registerHost(store: SshHostStore, input: RegisterHostInput, secretKey: Buffer): Promise<SshHost> {
  const errors: { field: string; message: string }[] = [];
  const bad = (field: string, message: string) => errors.push({ field, message });
  const i = (input ?? {}) as RegisterHostInput;
  if (typeof i.name !== 'string' || !RE_HOST_NAME.test(i.name)) bad('name', 'must be 1–63 lowercase letters, digits and dashes, starting and ending with a letter or digit');
  if (typeof i.address !== 'string' || !(isIPv4(i.address) || isIPv6(i.address) || (RE_ADDRESS.test(i.address) && !i.address.startsWith('-')))) bad('address', 'must be an IPv4/IPv6 address or a DNS name');
  const port = i.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad('port', 'must be an integer from 1 to 65535');
  const user = i.user ?? 'root';
  if (typeof user !== 'string' || !RE_USER.test(user)) bad('user', 'must be a POSIX user name');
  if (i.passphrase !== undefined && (typeof i.passphrase !== 'string' || !i.passphrase)) bad('passphrase', 'must be a non-empty string');
  const hasKey = i.privateKey !== undefined && i.privateKey !== null;
  const hasPath = i.keyPath !== undefined && i.keyPath !== null;
  if (hasKey === hasPath) {
    bad(hasKey ? 'keyPath' : 'privateKey', 'give exactly one of privateKey and keyPath');
  } else if (hasKey) {
    const problem = typeof i.privateKey === 'string' ? keyProblem(i.privateKey, i.passphrase) : 'must be a string';
    if (problem) bad('privateKey', problem);
  } else if (typeof i.keyPath !== 'string' || !i.keyPath.startsWith('/')) {
    bad('keyPath', 'must be an absolute path');
  } else if (!existsSync(i.keyPath)) {
    bad('keyPath', `no file at ${i.keyPath}`);
  } else {
    let text = '';
    try {
      text = readFileSync(i.keyPath, 'utf8');
    } catch (err) {
      bad('keyPath', `cannot read: ${(err as Error).message}`);
    }
    const problem = text ? keyProblem(text, i.passphrase) : null;
    if (problem) bad('keyPath', problem);
  }
  let hostKey: string | null = null;
  if (i.hostKey !== undefined && i.hostKey !== null && i.hostKey !== '') {
    hostKey = typeof i.hostKey === 'string' ? normalizeHostKey(i.hostKey) : null;
    if (!hostKey) bad('hostKey', 'must be a SHA256 fingerprint as `ssh-keygen -lf` prints it (SHA256:…, 43 base64 characters) or a public key line; omit it to trust on first use');
  }
  if (i.remoteRoot !== undefined && i.remoteRoot !== null) {
    const problem = remoteRootProblem(i.remoteRoot);
    if (problem) bad('remoteRoot', problem);
  }
  if (i.keepFiles !== undefined && typeof i.keepFiles !== 'boolean') bad('keepFiles', 'must be a boolean');
  if (errors.length) throw new ValidationError(`invalid SSH host: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors);
  if ((await store.list()).some((h) => h.name === i.name)) throw new ConflictError(`an SSH host named "${i.name}" is already registered`);
  const host: SshHost = {
    id: randomUUID(),
    name: i.name,
    address: i.address,
    port,
    user,
    privateKeySealed: hasKey ? seal(i.privateKey!, secretKey) : null,
    passphraseSealed: i.passphrase ? seal(i.passphrase, secretKey) : null,
    keyPath: hasPath ? i.keyPath! : null,
    hostKey,
    hostKeyTrust: hostKey ? 'pinned' : 'tofu',
    hostKeyRecordedAt: null,
    remoteRoot: i.remoteRoot ?? null,
    keepFiles: i.keepFiles ?? false,
    labels: {},
    serverName: null,
    state: 'free',
    claimId: null,
    provisionedAt: null,
    facts: null,
    createdAt: new Date().toISOString(),
  };
  await store.put(host);
  return host;
}

/**
 * Remove a host record. Refused (ConflictError) while an instance is provisioned on it: destroy
 * the instance first, or pass `force` when the machine is gone for good.
 */
export async function unregisterHost(store: SshHostStore, id: string, opts: { force?: boolean } = {}): Promise<void> {
  const host = await store.get(id);
  if (!host) return;
  if (host.state !== 'free' && !opts.force) throw new ConflictError(`SSH host ${host.name} runs server ${host.serverName ?? '?'}; destroy its instance first`);
  await store.remove(id);
}

/** A host as the API may show it: no sealed secrets. */
export function redactHost(host: SshHost): Omit<SshHost, 'privateKeySealed' | 'passphraseSealed'> & { auth: 'key' | 'keyPath' } {
  const { privateKeySealed, passphraseSealed: _p, ...rest } = host;
  return { ...rest, auth: privateKeySealed ? 'key' : 'keyPath' };
}

function keyProblem(text: string, passphrase?: string): string | null {
  const parsed = utils.parseKey(text, passphrase);
  if (parsed instanceof Error) return `is not a usable private key: ${parsed.message}`;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return 'is a public key; give the private key';
  return null;
}

// ── OS checks ─────────────────────────────────────────────────────────────────────────────

/** KEY=value pairs of an os-release file (quotes removed). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    out[m[1]] = v;
  }
  return out;
}

/** Debian, Ubuntu and their derivatives (`ID_LIKE` naming either). */
export function isSupportedOs(osRelease: Record<string, string>): boolean {
  const ids = [osRelease.ID ?? '', ...(osRelease.ID_LIKE ?? '').split(/\s+/)].map((s) => s.toLowerCase());
  return ids.includes('debian') || ids.includes('ubuntu');
}

// ── connections ───────────────────────────────────────────────────────────────────────────

function sshError(code: string, message: string, retryable: boolean, httpStatus?: number): ProviderError {
  return new ProviderError('ssh', code, message, httpStatus, retryable);
}

function target(host: Pick<SshHost, 'user' | 'address' | 'port'>): string {
  return `${host.user}@${isIPv6(host.address) ? `[${host.address}]` : host.address}:${host.port}`;
}

/** Map an ssh2/socket error to a ProviderError with a stable code. */
function connectError(err: Error & { code?: string; level?: string }, host: SshHost, seen: string | null, handshakeDone: boolean): ProviderError {
  const t = target(host);
  if (host.hostKey && seen && seen !== host.hostKey) {
    return sshError('host_key_mismatch', `host key of ${t} is ${seen}, but ${host.hostKey} is ${host.hostKeyTrust === 'pinned' ? 'pinned' : 'recorded (trust on first use)'}: the server was reinstalled or someone is in the middle; if you trust the new key, re-register the host with hostKey ${seen}`, false, 502);
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return sshError('connection_refused', `connection to ${t} refused: is sshd running and listening on port ${host.port}?`, true, 502);
    case 'ENOTFOUND':
      return sshError('dns_failed', `cannot resolve ${host.address}`, false, 502);
    case 'EAI_AGAIN':
      return sshError('dns_failed', `cannot resolve ${host.address} (temporary DNS failure)`, true, 502);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return sshError('host_unreachable', `${t} is unreachable (${err.code})`, true, 502);
    case 'ETIMEDOUT':
      return sshError('connection_timeout', `connection to ${t} timed out`, true, 504);
    default:
  }
  if (err.level === 'client-timeout') return sshError('connection_timeout', `${t}: ${err.message}`, true, 504);
  if (err.level === 'client-authentication') {
    return sshError('auth_failed', `authentication as ${host.user} on ${t} failed: the server refused the key (is its public key in ~${host.user}/.ssh/authorized_keys?)`, false, 502);
  }
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || /closed|reset|No response/i.test(err.message)) {
    return sshError('connection_lost', `connection to ${t} lost${handshakeDone ? '' : ' during the handshake'}: ${err.message}`, true, 502);
  }
  return sshError('ssh_error', `${t}: ${err.message}`, true, 502);
}

interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

interface ExecOptions {
  stdin?: Buffer | string;
  /** Called with each complete output line (stdout and stderr). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  /** What the command is doing, for error messages. */
  what: string;
}

/** One authenticated ssh2 connection; every operation fails with `connection_lost` once it drops. */
class SshConnection {
  private closed = false;
  private lastError: Error | null = null;
  private readonly waiters = new Set<(err: ProviderError) => void>();

  constructor(
    private readonly client: SshClient,
    readonly host: SshHost,
    readonly fingerprint: string,
  ) {
    client.on('error', (err) => {
      this.lastError = err;
    });
    client.on('close', () => {
      this.closed = true;
      const err = this.lost();
      for (const w of this.waiters) w(err);
      this.waiters.clear();
    });
  }

  private lost(what?: string): ProviderError {
    const cause = this.lastError ? `: ${this.lastError.message}` : '';
    return sshError('connection_lost', `connection to ${target(this.host)} lost${what ? ` while ${what}` : ''}${cause}; retrying is safe`, true, 502);
  }

  exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (this.closed) return Promise.reject(this.lost(opts.what));
    return new Promise<ExecResult>((resolve, reject) => {
      let done = false;
      const out: string[] = [];
      const err: string[] = [];
      let exit: { code: number | null; signal: string | null } | null = null;
      const partial = { out: '', err: '' };
      const finish = (e: ProviderError | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters.delete(onDrop);
        if (e) reject(e);
        else resolve({ code: exit!.code, signal: exit!.signal, stdout: out.join(''), stderr: err.join('') });
      };
      const onDrop = (e: ProviderError) => finish(this.lost(opts.what) ?? e);
      this.waiters.add(onDrop);
      const timer = setTimeout(() => {
        finish(sshError('command_timeout', `${opts.what} on ${target(this.host)} took longer than ${Math.round((opts.timeoutMs ?? 0) / 1000)} s`, true, 504));
        this.client.end();
      }, opts.timeoutMs ?? 120_000);
      const lines = (key: 'out' | 'err', chunk: string, flush = false) => {
        if (!opts.onLine) return;
        partial[key] += chunk;
        const parts = partial[key].split('\n');
        partial[key] = flush ? '' : parts.pop()!;
        for (const l of parts) if (l) opts.onLine(l.replace(/\r$/, ''));
      };
      try {
        this.client.exec(command, (e, stream) => {
          if (e) return finish(this.closed ? this.lost(opts.what) : sshError('ssh_error', `${opts.what}: cannot open a session on ${target(this.host)}: ${e.message}`, true, 502));
          stream.on('data', (d: Buffer) => {
            const s = d.toString('utf8');
            out.push(s);
            lines('out', s);
          });
          stream.stderr.on('data', (d: Buffer) => {
            const s = d.toString('utf8');
            err.push(s);
            lines('err', s);
          });
          stream.on('exit', (code: number | null, signal?: string) => {
            exit = { code: code ?? null, signal: signal ?? null };
          });
          stream.on('error', () => {});
          stream.on('close', () => {
            lines('out', '', true);
            lines('err', '', true);
            // No exit status means the channel died with the connection.
            if (!exit) setImmediate(() => finish(this.lost(opts.what)));
            else finish(null);
          });
          if (opts.stdin !== undefined) stream.end(opts.stdin);
          else stream.end();
        });
      } catch (e) {
        finish(this.closed ? this.lost(opts.what) : sshError('ssh_error', `${opts.what}: ${(e as Error).message}`, true, 502));
      }
    });
  }

  close(): void {
    this.client.end();
  }
}

function privateKeyOf(host: SshHost, secretKey: Buffer): { privateKey: string; passphrase?: string } {
  const passphrase = host.passphraseSealed ? open(host.passphraseSealed, secretKey) : undefined;
  if (host.privateKeySealed) {
    try {
      return { privateKey: open(host.privateKeySealed, secretKey), passphrase };
    } catch {
      throw sshError('key_unreadable', `the private key of SSH host ${host.name} cannot be decrypted with this installation's secret key (HANGAR_SECRET_KEY changed?)`, false, 500);
    }
  }
  if (!host.keyPath) throw sshError('key_unreadable', `SSH host ${host.name} has neither a private key nor a key path`, false, 500);
  try {
    return { privateKey: readFileSync(host.keyPath, 'utf8'), passphrase };
  } catch (err) {
    throw sshError('key_unreadable', `cannot read the private key of SSH host ${host.name} at ${host.keyPath}: ${(err as Error).message}`, false, 500);
  }
}

/**
 * Connect and authenticate, enforcing the host key: a pinned or recorded fingerprint must match;
 * with none yet (TOFU) any key is accepted and its fingerprint returned for recording.
 */
async function connect(host: SshHost, secretKey: Buffer, timeoutMs: number): Promise<SshConnection> {
  const key = privateKeyOf(host, secretKey);
  let seen: string | null = null;
  return new Promise<SshConnection>((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const fail = (err: Error & { code?: string; level?: string }) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(connectError(err, host, seen, false));
    };
    client.on('error', fail);
    client.on('close', () => fail(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      resolve(new SshConnection(client, host, seen!));
    });
    const cfg: ConnectConfig = {
      host: host.address,
      port: host.port,
      username: host.user,
      privateKey: key.privateKey,
      passphrase: key.passphrase,
      readyTimeout: timeoutMs,
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      hostVerifier: (raw: Buffer): boolean => {
        seen = fingerprint(raw);
        return !host.hostKey || host.hostKey === seen;
      },
    };
    try {
      client.connect(cfg);
    } catch (err) {
      settled = true;
      reject(sshError('key_unreadable', `the private key of SSH host ${host.name} is unusable: ${(err as Error).message}`, false, 500));
    }
  });
}

/**
 * Run the script on stdin with `sh -s`: as root directly, else through passwordless sudo when
 * there is one, else as the login user. Wrapped in `sh -c` so the login shell does not matter.
 */
const ELEVATED_SH = `sh -c 'if [ "$(id -u)" = 0 ]; then exec sh -s; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then exec sudo -n sh -s; else exec sh -s; fi'`;

/** POSIX-sh single-quote one word. */
function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

interface Probe {
  facts: SshHostFacts;
  osRelease: Record<string, string>;
  uid: number;
  sudo: boolean;
  /** Absolute path of the node binary, or null. */
  node: string | null;
  /** sha256 of the agent bundle already on the host (empty when none). */
  bundleSha: string;
}

function probeScript(root: string, node: string): string {
  return [
    'echo "uid=$(id -u)"',
    'if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo sudo=1; else echo sudo=0; fi',
    'echo "arch=$(uname -m)"',
    'echo "cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)"',
    "echo \"memkb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)\"",
    "echo \"diskkb=$(df -Pk / 2>/dev/null | awk 'NR==2 {print $2}')\"",
    'if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then echo systemd=1; else echo systemd=0; fi',
    `n=$(command -v ${q(node)} 2>/dev/null || true); echo "node=$n"`,
    'if [ -n "$n" ]; then echo "nodeVersion=$("$n" --version 2>/dev/null)"; fi',
    `echo "bundleSha=$(sha256sum ${q(`${root}/agent/agent.mjs`)} 2>/dev/null | cut -d' ' -f1)"`,
    'echo ---os-release---',
    'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null || true',
  ].join('\n');
}

async function runProbe(conn: SshConnection, root: string, node: string): Promise<Probe> {
  const res = await conn.exec(`sh -c ${q(probeScript(root, node))}`, { what: 'probing the host', timeoutMs: 30_000 });
  if (res.code !== 0) throw sshError('probe_failed', `probing ${target(conn.host)} failed (exit ${res.code}): ${res.stderr.trim().slice(-500)}`, true, 502);
  const [head, osText = ''] = res.stdout.split('---os-release---\n');
  const kv: Record<string, string> = {};
  for (const line of head.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  const osRelease = parseOsRelease(osText);
  const gb = (kb: string | undefined) => Math.round((Number(kb) || 0) / 2 ** 20);
  return {
    facts: {
      os: osRelease.ID ?? 'unknown',
      osVersion: osRelease.VERSION_ID ?? '',
      prettyName: osRelease.PRETTY_NAME ?? osRelease.NAME ?? 'unknown',
      arch: kv.arch ?? 'unknown',
      cores: Number(kv.cores) || 0,
      memoryGb: gb(kv.memkb),
      diskGb: gb(kv.diskkb),
      systemd: kv.systemd === '1',
      nodeVersion: kv.nodeVersion || null,
    },
    osRelease,
    uid: Number(kv.uid),
    sudo: kv.sudo === '1',
    node: kv.node || null,
    bundleSha: kv.bundleSha ?? '',
  };
}

function requireSupportedOs(conn: SshConnection, p: Probe): void {
  if (!isSupportedOs(p.osRelease)) {
    const found = p.osRelease.PRETTY_NAME ?? p.osRelease.ID ?? 'no /etc/os-release';
    throw sshError('unsupported_os', `${target(conn.host)} runs ${found}; Hangar supports Debian and Ubuntu (and derivatives whose ID_LIKE names them)`, false, 422);
  }
}

/** What {@link probeHost} reports. */
export interface ProbeResult {
  /** The host key's fingerprint, `SHA256:…`. */
  fingerprint: string;
  /** `ID` from /etc/os-release. */
  os: string;
  osVersion: string;
  prettyName: string;
  arch: string;
  facts: SshHostFacts;
}

/**
 * Connect to a host (enforcing its pinned or recorded host key; under TOFU accepting any) and
 * report its host-key fingerprint, OS and architecture. Rejects a non-Debian/Ubuntu OS with
 * `unsupported_os`. Records nothing: {@link SshProvider.probe} stores the result.
 *
 * @example
 * const { fingerprint, os, arch } = await probeHost(host, secretKey); // → { fingerprint: 'SHA256:…', os: 'ubuntu', arch: 'x86_64', … }
 */
export async function probeHost(host: SshHost, secretKey: Buffer, opts: { timeoutMs?: number; nodeBinary?: string; remoteRoot?: string } = {}): Promise<ProbeResult> {
  const conn = await connect(host, secretKey, opts.timeoutMs ?? 20_000);
  try {
    const p = await runProbe(conn, host.remoteRoot ?? opts.remoteRoot ?? DEFAULT_REMOTE_ROOT, opts.nodeBinary ?? 'node');
    requireSupportedOs(conn, p);
    return { fingerprint: conn.fingerprint, os: p.facts.os, osVersion: p.facts.osVersion, prettyName: p.facts.prettyName, arch: p.facts.arch, facts: p.facts };
  } finally {
    conn.close();
  }
}

// ── remote scripts ────────────────────────────────────────────────────────────────────────

interface ScriptCommon {
  root: string;
  /** Seconds to wait after SIGTERM before SIGKILL. */
  stopTimeoutSeconds: number;
}

/** Shell shared by bootstrap and teardown: paths, logging, and stopping Hangar's agent. */
function scriptPrelude(o: ScriptCommon): string {
  return String.raw`# shellcheck disable=SC2034 # not every script uses every path
set -u
ROOT=${q(o.root)}
BUNDLE="$ROOT/agent/agent.mjs"
CONFIG="$ROOT/config/bootstrap.json"
STATE_DIR="$ROOT/config"
LOG="$ROOT/logs/install.log"
PIDFILE="$ROOT/run/agent.pid"
OUT="$ROOT/logs/agent.out"
UNIT=/etc/systemd/system/${SSH_AGENT_UNIT}
STOP_TIMEOUT=${Math.max(1, Math.round(o.stopTimeoutSeconds))}

log() {
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) hangar-ssh: $*"
  printf '%s\n' "$line"
  if [ -d "$ROOT/logs" ]; then printf '%s\n' "$line" >>"$LOG" 2>/dev/null || true; fi
}
die() { log "ERROR: $*"; exit 1; }

# is_agent PID: is PID this installation's agent: its supervisor (node $BUNDLE --config $CONFIG …) or
# an agent the supervisor runs from any release (node … --run --config $CONFIG …), maybe orphaned?
is_agent() {
  tr '\000' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "--config $CONFIG "
}
# pgid PID: its process group.
pgid() {
  sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f3
}
# alive PID: running and not a zombie.
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  case "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" in Z|X|'') return 1 ;; *) return 0 ;; esac
}
has_systemd() {
  [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && command -v systemctl >/dev/null 2>&1
}
our_unit() {
  [ -f "$UNIT" ] && grep -qF -- "$BUNDLE" "$UNIT"
}

# stop_agent: SIGTERM the agent's process group (it stops its workload and exits), then SIGKILL.
stop_agent() {
  if has_systemd && our_unit; then
    systemctl stop ${SSH_AGENT_UNIT} >/dev/null 2>&1 && log "stopped ${SSH_AGENT_UNIT}"
  fi
  pids=""
  if [ -s "$PIDFILE" ]; then
    p="$(cat "$PIDFILE")"
    if alive "$p" && is_agent "$p"; then pids="$p"; fi
  fi
  # One grep over every command line, then an exact check of each candidate (paths have no spaces).
  # shellcheck disable=SC2013
  for f in $(grep -lsaF -- "$CONFIG" /proc/[0-9]*/cmdline 2>/dev/null); do
    p="${'$'}{f#/proc/}"
    p="${'$'}{p%/cmdline}"
    [ "$p" = "$$" ] && continue
    case " $pids " in *" $p "*) continue ;; esac
    if alive "$p" && is_agent "$p"; then pids="$pids $p"; fi
  done
  pids="${'$'}{pids# }"
  if [ -z "$pids" ]; then rm -f "$PIDFILE"; return 0; fi
  log "stopping the agent (pid $pids) and its workload"
  # A group leader (the detached supervisor) gets its whole group; any other agent is signalled
  # alone unless its group's leader is one of ours (then it already got the group's signal).
  for p in $pids; do
    g="$(pgid "$p")"
    if [ "$g" = "$p" ]; then kill -s TERM -- "-$p" 2>/dev/null || kill -s TERM "$p" 2>/dev/null || true
    else case " $pids " in *" $g "*) ;; *) kill -s TERM "$p" 2>/dev/null || true ;; esac
    fi
  done
  i=0
  while [ "$i" -lt $((STOP_TIMEOUT * 5)) ]; do
    left=""
    for p in $pids; do if alive "$p"; then left="$left $p"; fi; done
    [ -z "$left" ] && break
    sleep 0.2
    i=$((i + 1))
  done
  for p in $pids; do
    if alive "$p"; then log "agent $p did not stop in $STOP_TIMEOUT s: killing it"; fi
    kill -s KILL -- "-$p" 2>/dev/null || true
    kill -s KILL "$p" 2>/dev/null || true
  done
  rm -f "$PIDFILE"
}
`;
}

/** Inputs of {@link renderSshBootstrap}. */
export interface SshBootstrapInput extends ScriptCommon {
  /** The node binary (name on PATH or absolute path). */
  node: string;
  /** `systemd`: install and restart a unit; `nohup`: `setsid nohup`, pid in `$ROOT/run/agent.pid`. */
  start: 'systemd' | 'nohup';
  instanceId: string;
  serverName: string;
  /** sha256 of the uploaded agent bundle, verified before starting. */
  bundleSha: string;
  /** Run `$ROOT/bootstrap/install.sh` (uploaded from user-data) before starting the agent. */
  installScript: boolean;
  /** The bootstrap config, written to `$ROOT/config/bootstrap.json` (0600). The script must then be fed on stdin (`sh -s`), never in argv. */
  bootstrapJson: string;
}

/**
 * The bootstrap the SSH provider runs after uploading the bundle and bootstrap.json: verify the
 * upload, stop a previous agent (idempotent re-runs), drop another instance's agent state, run
 * the install script when asked, start the agent detached and check it stays up. Prints
 * `HANGAR_AGENT_PID=<pid>` last.
 */
export function renderSshBootstrap(o: SshBootstrapInput): string {
  const unit = [
    '[Unit]',
    'Description=Hangar agent (installed over SSH)',
    'Wants=network-online.target',
    'After=network-online.target docker.service tailscaled.service',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    'ExecStart=@NODE@ @BUNDLE@ --config @CONFIG@ --state-dir @STATE@',
    'Environment=HANGAR_BOOTSTRAP_LOG=@LOG@',
    'WorkingDirectory=@ROOT@/agent',
    'Restart=always',
    'RestartSec=5',
    'UMask=0077',
    'KillMode=control-group',
    'SyslogIdentifier=hangar-agent',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  return `${scriptPrelude(o)}
INSTANCE=${q(o.instanceId)}
SERVER_NAME=${q(o.serverName)}
BUNDLE_SHA=${q(o.bundleSha)}
START=${q(o.start)}
NODE_WANT=${q(o.node)}

umask 022
mkdir -p "$ROOT/agent" "$ROOT/config" "$ROOT/logs" "$ROOT/run" "$ROOT/bootstrap" || die "cannot create $ROOT"
chmod 0755 "$ROOT" "$ROOT/agent"
chmod 0700 "$ROOT/config" "$ROOT/run" "$ROOT/bootstrap"
chmod 0750 "$ROOT/logs"
log "bootstrap over SSH for $SERVER_NAME (instance $INSTANCE) on $(uname -n) as $(id -un), into $ROOT"

got="$(sha256sum "$BUNDLE" 2>/dev/null | cut -d' ' -f1)"
[ "$got" = "$BUNDLE_SHA" ] || die "agent bundle checksum mismatch ($got, expected $BUNDLE_SHA): upload incomplete"
chmod 0644 "$BUNDLE"
(
  umask 077
  cat >"$CONFIG.tmp" <<'HANGAR_BOOTSTRAP_JSON'
${o.bootstrapJson.replace(/\n/g, '')}
HANGAR_BOOTSTRAP_JSON
) || die "cannot write $CONFIG"
chmod 0600 "$CONFIG.tmp"
mv -f "$CONFIG.tmp" "$CONFIG"
log "wrote the bootstrap config (0600)"

stop_agent

if [ -f "$STATE_DIR/state.json" ] && ! grep -qF "\\"instanceId\\":\\"$INSTANCE\\"" "$STATE_DIR/state.json"; then
  log "removing the agent state of a previous instance"
  rm -f "$STATE_DIR/state.json" "$STATE_DIR/agent.env"
fi
${
  o.installScript
    ? `
if [ -f "$ROOT/bootstrap/install.sh" ]; then
  log "running the install script"
  status=0
  bash "$ROOT/bootstrap/install.sh" </dev/null 2>&1 || status=$?
  [ "$status" = 0 ] || die "install script failed with status $status"
  if has_systemd && systemctl is-active --quiet ${SSH_AGENT_UNIT} && [ "$START" = systemd ]; then
    pid="$(systemctl show -p MainPID --value ${SSH_AGENT_UNIT} 2>/dev/null || echo 0)"
    log "agent started by the install script (pid $pid)"
    echo "HANGAR_AGENT_PID=$pid"
    exit 0
  fi
fi
`
    : ''
}
NODE="$(command -v "$NODE_WANT" 2>/dev/null || true)"
[ -n "$NODE" ] || die "node ($NODE_WANT) not found on this host: install Node.js 20 or newer"

if [ "$START" = systemd ]; then
  has_systemd || die "systemd is not PID 1 on this host"
  tmp="$(mktemp)"
  cat >"$tmp" <<'HANGAR_UNIT'
${unit}HANGAR_UNIT
  sed -e "s|@NODE@|$NODE|" -e "s|@BUNDLE@|$BUNDLE|" -e "s|@CONFIG@|$CONFIG|" -e "s|@STATE@|$STATE_DIR|" -e "s|@LOG@|$LOG|" -e "s|@ROOT@|$ROOT|" "$tmp" >"$UNIT.tmp"
  rm -f "$tmp"
  chmod 0644 "$UNIT.tmp"
  mv -f "$UNIT.tmp" "$UNIT"
  systemctl daemon-reload
  systemctl enable ${SSH_AGENT_UNIT} >/dev/null 2>&1 || true
  systemctl restart ${SSH_AGENT_UNIT} || die "systemctl restart ${SSH_AGENT_UNIT} failed"
  sleep 0.5
  systemctl is-active --quiet ${SSH_AGENT_UNIT} || die "the agent unit is not active: $(systemctl status --no-pager -n 20 ${SSH_AGENT_UNIT} 2>&1 | tail -n 20)"
  pid="$(systemctl show -p MainPID --value ${SSH_AGENT_UNIT} 2>/dev/null || echo 0)"
else
  rm -f "$PIDFILE"
  if command -v setsid >/dev/null 2>&1; then DETACH=setsid; else DETACH=""; fi
  cd "$ROOT/agent" || die "cannot enter $ROOT/agent"
  (
    umask 077
    # shellcheck disable=SC2016,SC2086 # $$ and "$@" are the inner sh's; $DETACH is empty or setsid
    HANGAR_BOOTSTRAP_LOG="$LOG" $DETACH nohup sh -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" "$NODE" "$BUNDLE" --config "$CONFIG" --state-dir "$STATE_DIR" </dev/null >>"$OUT" 2>&1 &
  )
  i=0
  while [ ! -s "$PIDFILE" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  [ -s "$PIDFILE" ] || die "the agent did not start"
  pid="$(cat "$PIDFILE")"
  sleep 0.5
  alive "$pid" || die "the agent exited at once: $(tail -n 20 "$OUT" 2>/dev/null)"
fi
log "agent started (pid $pid)"
echo "HANGAR_AGENT_PID=$pid"
`;
}

/** Inputs of {@link renderSshTeardown}. */
export interface SshTeardownInput extends ScriptCommon {
  keepFiles: boolean;
}

/** Stop the agent and its workload, remove the unit, and (unless `keepFiles`) the remote root. */
export function renderSshTeardown(o: SshTeardownInput): string {
  return `${scriptPrelude(o)}
stop_agent
if has_systemd && our_unit; then
  systemctl disable ${SSH_AGENT_UNIT} >/dev/null 2>&1 || true
  rm -f "$UNIT"
  systemctl daemon-reload
  log "removed ${SSH_AGENT_UNIT}"
fi
${
  o.keepFiles
    ? 'rm -f "$STATE_DIR/state.json" "$CONFIG"\nlog "kept $ROOT (keepFiles); removed the agent identity"'
    : 'if [ -d "$ROOT" ]; then rm -rf -- "$ROOT" && echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) hangar-ssh: removed $ROOT"; fi'
}
`;
}

/** The install script cloud-init would run, when the user-data carries one. */
export function extractInstallScript(userData: string): string | null {
  if (!userData.startsWith('#cloud-config')) return null;
  const doc = parseYaml(userData) as { write_files?: { path: string; content: string; encoding?: string }[] } | null;
  const f = doc?.write_files?.find((w) => w.path === USER_DATA_INSTALL_SCRIPT);
  if (!f) return null;
  return f.encoding === 'b64' || f.encoding === 'base64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content;
}

// ── the provider ──────────────────────────────────────────────────────────────────────────

export interface SshProviderOptions {
  hosts: SshHostStore;
  /** The installation's secret key (opens sealed private keys). */
  secretKey: Buffer;
  /** Path of the agent bundle (agent/dist/agent.mjs), e.g. `ensureAgentBundle`. */
  agentBundle: string | (() => Promise<string>);
  /** The node the agent runs on, on the host (name on PATH or absolute path). Default `node`. */
  nodeBinary?: string;
  /** Where Hangar installs on hosts without their own `remoteRoot`. Default `/opt/hangar`. */
  remoteRoot?: string;
  /** How the agent is started: `auto` (default) = systemd when it is PID 1 and we are root or have sudo, else nohup. */
  start?: 'auto' | 'systemd' | 'nohup';
  /**
   * Also upload and run the install script cloud-init would run (from user-data): Docker,
   * Node.js, Tailscale, hardening. It assumes `/opt/hangar` and root. Default false: the host
   * needs Node.js 20+ already.
   */
  runInstallScript?: boolean;
  /** Default for hosts: keep remote files on teardown. Default false. */
  keepFiles?: boolean;
  /** Each bootstrap output line, with the instance id (`hangar.dev/instance` label, else the server name). */
  onLog?: (instanceId: string, line: string) => void;
  /** SSH handshake timeout, ms. Default 20 000. */
  connectTimeoutMs?: number;
  /** Bootstrap script timeout, ms. Default 15 minutes (the install script installs packages). */
  bootstrapTimeoutMs?: number;
  /** Seconds between SIGTERM and SIGKILL when stopping an agent. Default 10. */
  stopTimeoutSeconds?: number;
}

/**
 * The `ssh` provider (see the module comment). A host is a "server" while an instance is
 * provisioned on it, named by the claim (`<host id>~<claim id>`): `getServer` returns null for a
 * free host or one claimed since, `findServers` lists only claimed hosts.
 */
export class SshProvider implements CloudProvider {
  readonly name = 'ssh' as const;
  /** No transport limit: the bootstrap config is uploaded, not passed as user-data. */
  readonly userDataLimit = 1024 * 1024;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: SshProviderOptions) {
    const problem = remoteRootProblem(opts.remoteRoot ?? DEFAULT_REMOTE_ROOT);
    if (problem) throw new ValidationError(`remoteRoot ${problem}`, [{ field: 'remoteRoot', message: problem }]);
  }

  get hosts(): SshHostStore {
    return this.opts.hosts;
  }

  /** Probe a registered host (by host id, or a server id on it), record its facts and (TOFU) its fingerprint. */
  async probe(hostId: string): Promise<ProbeResult> {
    const host = await this.requireHost(parseSshServerId(hostId).hostId);
    return this.withLock(host.id, async () => {
      const conn = await this.connect(host);
      try {
        const p = await runProbe(conn, this.rootOf(host), this.opts.nodeBinary ?? 'node');
        await this.patch(host.id, { facts: p.facts });
        requireSupportedOs(conn, p);
        return { fingerprint: conn.fingerprint, os: p.facts.os, osVersion: p.facts.osVersion, prettyName: p.facts.prettyName, arch: p.facts.arch, facts: p.facts };
      } finally {
        conn.close();
      }
    });
  }

  async createServer(spec: ServerSpec): Promise<ServerInfo> {
    if (Buffer.byteLength(spec.userData) > this.userDataLimit) throw sshError('invalid_input', `user_data exceeds ${this.userDataLimit} bytes`, false, 422);
    let bootstrap: BootstrapConfig;
    try {
      bootstrap = extractBootstrap(spec.userData);
    } catch (err) {
      throw sshError('invalid_input', `cannot read the bootstrap config from user-data: ${(err as Error).message}`, false, 422);
    }
    const candidates = await this.candidates(spec);
    for (const c of candidates) {
      const info = await this.withLock(c.id, () => this.provisionOn(c.id, spec, bootstrap));
      if (info) return info;
    }
    // Every candidate was claimed by another instance (maybe on another replica) in the meantime.
    if (spec.location ?? spec.serverType) throw busy((await this.opts.hosts.get(candidates[0].id)) ?? candidates[0]);
    throw noFreeHost((await this.opts.hosts.list()).length);
  }

  /**
   * Claim the host in the database (compare-and-set, so one instance wins across replicas; a
   * fresh claim id, or the one this instance's claim already has), bootstrap it, and mark it
   * ready. Null when another instance holds the host.
   */
  private async provisionOn(id: string, spec: ServerSpec, bootstrap: BootstrapConfig): Promise<ServerInfo | null> {
    const host = await this.opts.hosts.claim(id, { labels: spec.labels, serverName: spec.name, claimId: newClaimId() });
    if (!host) return null;
    try {
      await this.bootstrap(host, spec, bootstrap);
    } catch (err) {
      // Release the claim: the engine retries createServer (a claimed host would be adopted as if ready).
      await this.opts.hosts.release(id, spec.labels, host.claimId ?? null).catch(() => {});
      throw err;
    }
    const ready = await this.patch(id, { state: 'ready', provisionedAt: new Date().toISOString() });
    return this.info(ready);
  }

  async findServers(query: FindQuery): Promise<ServerInfo[]> {
    return (await this.opts.hosts.list())
      .filter((h) => h.state !== 'free')
      .filter((h) => !query.name || h.serverName === query.name)
      .filter((h) => !query.labels || Object.entries(query.labels).every(([k, v]) => h.labels[k] === v))
      .map((h) => this.info(h));
  }

  /** The server `id` names, or null when its host is free or claimed by another claim since. */
  async getServer(id: string): Promise<ServerInfo | null> {
    const { hostId, claimId } = parseSshServerId(id);
    const host = await this.opts.hosts.get(hostId);
    return host && holdsClaim(host, claimId) ? this.info(host) : null;
  }

  /**
   * Stop the agent and its workload, remove what Hangar installed (unless the host's
   * `keepFiles`), and free the host. The host record stays. An unknown id, a free host and a
   * host held by another claim (a later instance) count as deleted and are left alone; an
   * unreachable host fails with a retryable ProviderError and the host keeps its labels.
   */
  async deleteServer(id: string): Promise<void> {
    const { hostId, claimId } = parseSshServerId(id);
    const found = await this.opts.hosts.get(hostId);
    if (!found || !holdsClaim(found, claimId)) return;
    await this.withLock(hostId, async () => {
      const host = await this.opts.hosts.get(hostId);
      if (!host || !holdsClaim(host, claimId)) return;
      const instance = host.labels[LABEL_INSTANCE] ?? host.serverName ?? host.name;
      const conn = await this.connect(host);
      try {
        const script = renderSshTeardown({ root: this.rootOf(host), keepFiles: host.keepFiles || !!this.opts.keepFiles, stopTimeoutSeconds: this.opts.stopTimeoutSeconds ?? 10 });
        const res = await conn.exec(ELEVATED_SH, { stdin: script, what: 'tearing down', timeoutMs: 120_000, onLine: (l) => this.opts.onLog?.(instance, l) });
        if (res.code !== 0) throw sshError('teardown_failed', `teardown on ${target(host)} exited with ${res.code ?? res.signal}: ${tail(res)}`, true, 502);
      } finally {
        conn.close();
      }
      // Only this claim: never a claim made meanwhile (by another replica).
      await this.opts.hosts.release(hostId, host.labels, claimId);
    });
  }

  /** One server type per registered host (price 0: the user already pays for it). */
  async listServerTypes(): Promise<ServerType[]> {
    return (await this.opts.hosts.list()).map((h) => ({
      name: h.name,
      description: `${target(h)}${h.facts ? ` (${h.facts.prettyName})` : ''}`,
      cores: h.facts?.cores ?? 0,
      memoryGb: h.facts?.memoryGb ?? 0,
      diskGb: h.facts?.diskGb ?? 0,
      ...(h.facts ? { architecture: /^(aarch64|arm)/.test(h.facts.arch) ? 'arm' : /^(x86_64|amd64)$/.test(h.facts.arch) ? 'x86' : h.facts.arch } : {}),
      prices: [{ location: h.name, hourly: 0, monthly: 0, currency: 'EUR' }],
    }));
  }

  /** One location per registered host; `spec.location` names one (by name or id). */
  async listLocations(): Promise<Location[]> {
    return (await this.opts.hosts.list()).map((h) => ({ name: h.name, description: `${target(h)}, ${h.state === 'free' ? 'free' : `in use by ${h.serverName ?? 'an instance'}`}` }));
  }

  async listImages(): Promise<Image[]> {
    return [{ id: 'host', name: 'host', description: "The host's own operating system", kind: 'system', labels: {} }];
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  private async bootstrap(host: SshHost, spec: ServerSpec, cfg: BootstrapConfig): Promise<void> {
    const instance = spec.labels[LABEL_INSTANCE] ?? spec.name;
    const log = (line: string) => this.opts.onLog?.(instance, line);
    const root = this.rootOf(host);
    const bundlePath = typeof this.opts.agentBundle === 'string' ? this.opts.agentBundle : await this.opts.agentBundle();
    const bundle = await readFile(bundlePath);
    const sha = createHash('sha256').update(bundle).digest('hex');
    const installScript = this.opts.runInstallScript ? extractInstallScript(spec.userData) : null;

    const conn = await this.connect(host);
    try {
      const p = await runProbe(conn, root, this.opts.nodeBinary ?? 'node');
      await this.patch(host.id, { facts: p.facts });
      requireSupportedOs(conn, p);
      log(`connected to ${target(host)} (${p.facts.prettyName}, ${p.facts.arch}), host key ${conn.fingerprint}`);
      if (!installScript) {
        if (!p.node) throw sshError('node_missing', `${target(host)} has no ${this.opts.nodeBinary ?? 'node'} on PATH: install Node.js 20 or newer there (or enable runInstallScript)`, false, 422);
        const major = Number(/^v(\d+)/.exec(p.facts.nodeVersion ?? '')?.[1] ?? 0);
        if (major < 20) throw sshError('node_missing', `${target(host)} has Node.js ${p.facts.nodeVersion ?? '(unknown version)'} at ${p.node}; the agent needs 20 or newer`, false, 422);
      }
      const start = this.startMode(p);
      const prefix = this.sudoPrefix(p);
      if (p.bundleSha === sha) {
        log('agent bundle already up to date');
      } else {
        log(`uploading the agent bundle (${Math.ceil(bundle.length / 1024)} KiB)`);
        await this.upload(conn, prefix, `${root}/agent/agent.mjs`, bundle, '0644');
      }
      if (installScript) {
        log('uploading the install script');
        await this.upload(conn, prefix, `${root}/bootstrap/install.sh`, installScript, '0700');
      }
      const script = renderSshBootstrap({
        root,
        node: this.opts.nodeBinary ?? 'node',
        start,
        instanceId: cfg.instanceId,
        serverName: cfg.serverName,
        bundleSha: sha,
        installScript: !!installScript,
        stopTimeoutSeconds: this.opts.stopTimeoutSeconds ?? 10,
        bootstrapJson: JSON.stringify(cfg),
      });
      // The script (with the one-time token) goes over stdin, never into a command line.
      const res = await conn.exec(ELEVATED_SH, { stdin: script, what: 'running the bootstrap', timeoutMs: this.opts.bootstrapTimeoutMs ?? 15 * 60_000, onLine: (l) => (l.startsWith('HANGAR_AGENT_PID=') ? undefined : log(l)) });
      if (res.code !== 0) throw sshError('bootstrap_failed', `bootstrap on ${target(host)} exited with ${res.code ?? res.signal}: ${tail(res)}`, false, 502);
    } finally {
      conn.close();
    }
  }

  /** Write a file atomically (tmp + rename) through `cat`, with `mode`. */
  private async upload(conn: SshConnection, prefix: string, path: string, data: Buffer | string, mode: string): Promise<void> {
    const tmp = `${path}.upload`;
    const cmd = `umask 077; mkdir -p ${q(posix.dirname(path))} && cat >${q(tmp)} && chmod ${mode} ${q(tmp)} && mv -f ${q(tmp)} ${q(path)}`;
    const res = await conn.exec(`${prefix}sh -c ${q(cmd)}`, { what: `uploading ${path}`, stdin: data, timeoutMs: 300_000 });
    if (res.code !== 0) throw sshError('upload_failed', `cannot write ${path} on ${target(conn.host)}: ${tail(res)}`, false, 502);
  }

  /** Connect, and under TOFU record the fingerprint seen on the first successful connection. */
  private async connect(host: SshHost): Promise<SshConnection> {
    const conn = await connect(host, this.opts.secretKey, this.opts.connectTimeoutMs ?? 20_000);
    if (!host.hostKey) {
      await this.patch(host.id, { hostKey: conn.fingerprint, hostKeyRecordedAt: new Date().toISOString() });
      host.hostKey = conn.fingerprint;
    }
    return conn;
  }

  private startMode(p: Probe): 'systemd' | 'nohup' {
    const want = this.opts.start ?? 'auto';
    if (want !== 'auto') return want;
    return p.facts.systemd && (p.uid === 0 || p.sudo) ? 'systemd' : 'nohup';
  }

  private sudoPrefix(p: Probe): string {
    return p.uid !== 0 && p.sudo ? 'sudo -n ' : '';
  }

  private rootOf(host: SshHost): string {
    return host.remoteRoot ?? this.opts.remoteRoot ?? DEFAULT_REMOTE_ROOT;
  }

  /**
   * The hosts `createServer` tries to claim, in order: the one `spec.location` (or
   * `spec.serverType`) names; else the host this instance already holds, then every free host.
   */
  private async candidates(spec: ServerSpec): Promise<SshHost[]> {
    const hosts = await this.opts.hosts.list();
    const want = spec.location ?? spec.serverType;
    if (want) {
      const host = hosts.find((h) => h.id === want || h.name === want);
      if (!host) throw sshError('host_not_found', `no SSH host named "${want}" is registered${hosts.length ? ` (registered: ${hosts.map((h) => h.name).join(', ')})` : ''}`, false, 404);
      if (!claimable(host, spec.labels)) throw busy(host);
      return [host];
    }
    const mine = hosts.filter((h) => h.state !== 'free' && claimable(h, spec.labels));
    const found = [...mine, ...hosts.filter((h) => h.state === 'free')];
    if (!found.length) throw noFreeHost(hosts.length);
    return found;
  }

  private async requireHost(id: string): Promise<SshHost> {
    const host = await this.opts.hosts.get(id);
    if (!host) throw sshError('host_not_found', `SSH host ${id} is not registered`, false, 404);
    return host;
  }

  /** Merge fields into a host in the store (atomic: never overwrites a claim made meanwhile). */
  private async patch(id: string, set: Partial<SshHost>): Promise<SshHost> {
    const next = await this.opts.hosts.update(id, set);
    if (!next) throw sshError('host_not_found', `SSH host ${id} is not registered`, false, 404);
    return next;
  }

  /** Serialise operations on one host within this process. */
  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.catch(() => {});
    this.locks.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    }
  }

  private info(h: SshHost): ServerInfo {
    return {
      id: sshServerId(h),
      name: h.serverName ?? h.name,
      labels: { ...h.labels },
      status: h.state === 'ready' ? 'running' : h.state === 'provisioning' ? 'creating' : 'off',
      ipv4: isIPv4(h.address) ? h.address : null,
      ipv6: isIPv6(h.address) ? h.address : null,
      location: h.name,
      serverType: h.name,
      image: h.facts ? `${h.facts.os}-${h.facts.osVersion}` : 'host',
      createdAt: h.provisionedAt,
    };
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

function noFreeHost(registered: number): ProviderError {
  return sshError('no_free_host', registered ? `all ${registered} registered SSH hosts are in use; register another or name one with location` : 'no SSH host is registered', false, 409);
}

function busy(host: SshHost): ProviderError {
  return sshError('host_busy', `SSH host ${host.name} is in use by ${host.serverName ?? 'another instance'} (instance ${host.labels[LABEL_INSTANCE] ?? '?'}); destroy it first or pick another host`, false, 409);
}

function tail(res: ExecResult): string {
  const text = `${res.stderr}\n${res.stdout}`.trim().split('\n').filter((l) => !l.startsWith('HANGAR_AGENT_PID=')).slice(-8).join(' | ');
  return text.slice(-1000) || '(no output)';
}
