/**
 * One authenticated SSH connection (ssh2), and the mapping of every way of failing to get one to
 * a stable ProviderError code. Before the server has shown an SSH host key, every failure (the
 * name did not resolve, nothing answered, the connection was refused or timed out, what answered
 * was not SSH) is one code, `unreachable`, with one message: telling them apart would make the
 * probe a port scanner. After that, `host_key_mismatch` and `auth_failed` stay distinct (only a
 * real SSH server produces them). The host's address is checked against the forbidden ranges
 * after DNS, and the connection goes to the checked address.
 *
 * @example
 * const conn = await connect(host, secretKey, 20_000, keyDir);
 * const res = await conn.exec('uname -m', { what: 'probing' }); // → { code: 0, stdout: 'x86_64\n', … }
 * conn.close();
 */
import { createConnection } from 'node:net';
import ssh2 from 'ssh2';
import type { Client as SshClient, ConnectConfig } from 'ssh2';
import { ProviderError } from '../../domain/errors.ts';
import { open } from '../../domain/tokens.ts';
import { AddressRefused, resolveHostAddresses } from './address.ts';
import type { SshHost } from '../../domain/ssh-hosts.ts';
import { KeyFileError, NO_KEY_FILE, readKeyInDir } from './keys.ts';
import { fingerprint } from './register.ts';

const { Client } = ssh2;

/**
 * A ProviderError of the `ssh` provider.
 *
 * @example
 * sshError('host_busy', 'SSH host vps-1 is in use', false, 409)
 */
export function sshError(code: string, message: string, retryable: boolean, httpStatus?: number): ProviderError {
  return new ProviderError('ssh', code, message, httpStatus, retryable);
}

/**
 * `user@address:port`, for messages.
 *
 * @example
 * target({ user: 'root', address: '2001:db8::1', port: 22 }) // → 'root@[2001:db8::1]:22'
 */
export function target(host: Pick<SshHost, 'user' | 'address' | 'port'>): string {
  return `${host.user}@${host.address.includes(':') ? `[${host.address}]` : host.address}:${host.port}`;
}

/**
 * The one error for every failure before an SSH handshake: the same code and the same words
 * whatever happened (only the target differs).
 *
 * @example
 * unreachable(host).code // → 'unreachable'
 */
export function unreachable(host: Pick<SshHost, 'user' | 'address' | 'port'>): ProviderError {
  return sshError('unreachable', `cannot reach an SSH server at ${target(host)}: check the address and port, that sshd runs there, and that this machine may connect to it`, true, 502);
}

/** Map an ssh2/socket error to a ProviderError with a stable code (see the module comment). */
function connectError(err: Error & { code?: string; level?: string }, host: SshHost, seen: string | null): ProviderError {
  const t = target(host);
  if (host.hostKey && seen && seen !== host.hostKey) {
    return sshError('host_key_mismatch', `host key of ${t} is ${seen}, but ${host.hostKey} is ${host.hostKeyTrust === 'pinned' ? 'pinned' : 'recorded (trust on first use)'}: the server was reinstalled or someone is in the middle; if you trust the new key, re-register the host with hostKey ${seen}`, false, 502);
  }
  // No host key seen: whatever answered (if anything) has not shown itself to be an SSH server.
  if (!seen) return unreachable(host);
  if (err.level === 'client-authentication') {
    return sshError('auth_failed', `authentication as ${host.user} on ${t} failed: the server refused the key (is its public key in ~${host.user}/.ssh/authorized_keys?)`, false, 502);
  }
  if (err.level === 'client-timeout') return sshError('connection_lost', `${t} did not finish authenticating in time; retrying is safe`, true, 502);
  return sshError('connection_lost', `connection to ${t} lost during the handshake: ${err.message}`, true, 502);
}

/** How a remote command ended, with its whole output. */
export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * The last lines of a command's output (stderr first, the agent's pid line left out), for an
 * error message: at most 8 lines and 1000 characters.
 *
 * @example
 * outputTail({ code: 1, signal: null, stdout: 'a\nb', stderr: 'boom' }) // → 'boom | a | b'
 */
export function outputTail(res: ExecResult): string {
  const text = `${res.stderr}\n${res.stdout}`.trim().split('\n').filter((l) => !l.startsWith('HANGAR_AGENT_PID=')).slice(-8).join(' | ');
  return text.slice(-1000) || '(no output)';
}

export interface ExecOptions {
  stdin?: Buffer | string;
  /** Called with each complete output line (stdout and stderr). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  /** What the command is doing, for error messages. */
  what: string;
}

/** One authenticated ssh2 connection; every operation fails with `connection_lost` once it drops. */
export class SshConnection {
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

/** The key to log in with: the sealed one, or the key file in the key directory (read at each connection). */
async function privateKeyOf(host: SshHost, secretKey: Buffer, keyDir: string | undefined): Promise<{ privateKey: string; passphrase?: string }> {
  const unreadable = (why: string) => sshError('key_unreadable', `the private key of SSH host ${host.name}: ${why}`, false, 422);
  let passphrase: string | undefined;
  try {
    passphrase = host.passphraseSealed ? open(host.passphraseSealed, secretKey) : undefined;
    if (host.privateKeySealed) return { privateKey: open(host.privateKeySealed, secretKey), passphrase };
  } catch {
    throw unreadable("cannot be decrypted with this installation's secret key (HANGAR_SECRET_KEY changed?)");
  }
  try {
    return { privateKey: await readKeyInDir(keyDir, host.keyPath), passphrase };
  } catch (err) {
    if (err instanceof KeyFileError) throw unreadable(NO_KEY_FILE);
    throw err;
  }
}

/**
 * Connect and authenticate, enforcing the host key: a pinned or recorded fingerprint must match;
 * with none yet (TOFU) any key is accepted and its fingerprint returned for recording.
 *
 * @example
 * const conn = await connect(host, secretKey, 20_000, '/var/lib/hangar/ssh-keys');
 */
export async function connect(host: SshHost, secretKey: Buffer, timeoutMs: number, keyDir?: string): Promise<SshConnection> {
  const key = await privateKeyOf(host, secretKey, keyDir);
  let addresses: Awaited<ReturnType<typeof resolveHostAddresses>>;
  try {
    addresses = await resolveHostAddresses(host.address);
  } catch (err) {
    if (!(err instanceof AddressRefused)) throw err;
    if (err.reason === 'unresolved') throw unreachable(host);
    throw sshError('address_forbidden', `${target(host)}: the address ${err.message}; register the server by an address it can be reached at`, false, 422);
  }
  let seen: string | null = null;
  return new Promise<SshConnection>((resolve, reject) => {
    // Our own socket, so it connects to the addresses checked above (both families tried, as
    // Node does): a second DNS answer never decides where the connection goes.
    const sock = createConnection({
      host: host.address,
      port: host.port,
      autoSelectFamily: true,
      lookup: (_name, options, cb) => (options.all ? cb(null, addresses) : cb(null, addresses[0].address, addresses[0].family)),
    });
    const client = new Client();
    let settled = false;
    const fail = (err: Error & { code?: string; level?: string }) => {
      if (settled) return;
      settled = true;
      client.end();
      sock.destroy();
      reject(connectError(err, host, seen));
    };
    client.on('error', fail);
    client.on('close', () => fail(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      resolve(new SshConnection(client, host, seen!));
    });
    const cfg: ConnectConfig = {
      sock,
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
    } catch {
      settled = true;
      sock.destroy();
      reject(sshError('key_unreadable', `the private key of SSH host ${host.name} is not usable (wrong passphrase?)`, false, 422));
    }
  });
}
