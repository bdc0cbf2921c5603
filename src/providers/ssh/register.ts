/**
 * Registering, unregistering and showing SSH hosts. Registration validates every field (one
 * ValidationError naming each bad one) and connects to nothing; the probe does that.
 *
 * @example
 * const host = await registerHost(store, { name: 'vps-1', address: '203.0.113.7', privateKey: pem }, secretKey);
 * redactHost(host) // → { …, auth: 'key' } (no key, no passphrase)
 */
import { createHash, randomUUID } from 'node:crypto';
import ssh2 from 'ssh2';
import { ConflictError, ValidationError } from '../../domain/errors.ts';
import { seal } from '../../domain/tokens.ts';
import { addressProblem } from './address.ts';
import type { SshHost } from '../../domain/ssh-hosts.ts';
import type { SshHostStore } from './hosts.ts';
import { KEY_FILE_MAX_BYTES, KeyFileError, NO_KEY_FILE, readKeyInDir } from './keys.ts';
import { remoteRootProblem } from '../../bootstrap/remote-root.ts';

const { utils } = ssh2;

/** What an operator gives to register a host. */
export interface RegisterHostInput {
  name: string;
  address: string;
  /** Default 22. */
  port?: number;
  /** Default `root`. */
  user?: string;
  /** OpenSSH or PEM private key text (stored sealed, never returned). Exactly one of `privateKey` and `keyPath`. */
  privateKey?: string;
  /** Passphrase of an encrypted key (stored sealed). */
  passphrase?: string;
  /** A key file in the control plane's key directory (HANGAR_SSH_KEY_DIR): its name there, or an absolute path inside it. */
  keyPath?: string;
  /**
   * Pin: `SHA256:…` as `ssh-keygen -lf` prints it, or the host's public key line
   * (`ssh-ed25519 AAAA…`, as in known_hosts). Omitted: trust on first use.
   */
  hostKey?: string;
  /** `/opt/hangar` (default) or `/opt/hangar-<name>`: teardown removes it. */
  remoteRoot?: string;
  keepFiles?: boolean;
}

/** Where registration may read key files from. */
export interface RegisterHostOptions {
  /** The key directory (HANGAR_SSH_KEY_DIR); without one, `keyPath` is refused. */
  keyDir?: string;
}

const RE_HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RE_USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const RE_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

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
 *
 * @example
 * normalizeHostKey('ssh-ed25519 AAAAC3Nza… root@vps') // → 'SHA256:…'
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

/** Why `text` is not a usable private key (with `passphrase`), or null. */
function keyProblem(text: string, passphrase?: string): string | null {
  const parsed = utils.parseKey(text, passphrase);
  if (parsed instanceof Error) return `is not a usable private key: ${parsed.message}`;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return 'is a public key; give the private key';
  return null;
}

/**
 * Validate and store a new host (private key sealed with `secretKey`). Throws ValidationError
 * naming each bad field, ConflictError when the name is taken. A `keyPath` must name a readable
 * key file inside `opts.keyDir` (every failure gives the same message). Does not connect: call
 * {@link SshProvider.probe} (or {@link probeHost}) to check reachability, OS and host key.
 *
 * @example
 * const host = await registerHost(store, { name: 'vps-1', address: '203.0.113.7', privateKey: pem, hostKey: 'SHA256:…' }, secretKey);
 */
export async function registerHost(store: SshHostStore, input: RegisterHostInput, secretKey: Buffer, opts: RegisterHostOptions = {}): Promise<SshHost> {
  const errors: { field: string; message: string }[] = [];
  const bad = (field: string, message: string) => errors.push({ field, message });
  const i = (input ?? {}) as RegisterHostInput;
  if (typeof i.name !== 'string' || !RE_HOST_NAME.test(i.name)) bad('name', 'must be 1–63 lowercase letters, digits and dashes, starting and ending with a letter or digit');
  const addressWrong = addressProblem(i.address);
  if (addressWrong) bad('address', addressWrong);
  const port = i.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad('port', 'must be an integer from 1 to 65535');
  const user = i.user ?? 'root';
  if (typeof user !== 'string' || !RE_USER.test(user)) bad('user', 'must be a POSIX user name');
  if (i.passphrase !== undefined && (typeof i.passphrase !== 'string' || !i.passphrase || i.passphrase.length > 1024)) bad('passphrase', 'must be a non-empty string of at most 1024 characters');
  const passphrase = typeof i.passphrase === 'string' ? i.passphrase : undefined;
  const hasKey = i.privateKey !== undefined && i.privateKey !== null;
  const hasPath = i.keyPath !== undefined && i.keyPath !== null;
  if (hasKey === hasPath) {
    bad(hasKey ? 'keyPath' : 'privateKey', 'give exactly one of privateKey and keyPath');
  } else if (hasKey) {
    const problem = typeof i.privateKey !== 'string' ? 'must be a string' : Buffer.byteLength(i.privateKey) > KEY_FILE_MAX_BYTES ? `must be at most ${KEY_FILE_MAX_BYTES} bytes` : keyProblem(i.privateKey, passphrase);
    if (problem) bad('privateKey', problem);
  } else {
    let text: string | null = null;
    try {
      text = await readKeyInDir(opts.keyDir, i.keyPath);
    } catch (err) {
      if (!(err instanceof KeyFileError)) throw err;
      bad('keyPath', NO_KEY_FILE);
    }
    const problem = text === null ? null : keyProblem(text, passphrase);
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
    passphraseSealed: passphrase ? seal(passphrase, secretKey) : null,
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
 *
 * @example
 * await unregisterHost(store, host.id, { force: true });
 */
export async function unregisterHost(store: SshHostStore, id: string, opts: { force?: boolean } = {}): Promise<void> {
  const host = await store.get(id);
  if (!host) return;
  if (host.state !== 'free' && !opts.force) throw new ConflictError(`SSH host ${host.name} runs server ${host.serverName ?? '?'}; destroy its instance first`);
  await store.remove(id);
}

/** A host as the API shows it: no key, no passphrase, sealed or not; `auth` says which kind of key it has. */
export type RedactedSshHost = Omit<SshHost, 'privateKeySealed' | 'passphraseSealed'> & { auth: 'key' | 'keyPath' };

/**
 * A host as the API may show it: no sealed secrets (and nothing else that is not a host field).
 *
 * @example
 * redactHost(host) // → { id, name, address, …, auth: 'key' }
 */
export function redactHost(host: SshHost): RedactedSshHost {
  const { privateKeySealed, passphraseSealed: _p, ...rest } = host;
  // Only the record's own fields: a stray property on a stored row is never passed through.
  const { privateKey: _k, passphrase: _pp, ...shown } = rest as typeof rest & { privateKey?: unknown; passphrase?: unknown };
  return { ...shown, auth: privateKeySealed ? 'key' : 'keyPath' };
}
