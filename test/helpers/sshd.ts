/**
 * A real OpenSSH server for tests: `/usr/sbin/sshd -D -e` on a free loopback port, with its own
 * scratch directory holding a generated ed25519 host key, an authorized_keys file for a
 * generated client key, and a minimal config (`StrictModes no`, `UsePAM no`, key auth only,
 * `PermitRootLogin prohibit-password` since tests run as root).
 *
 * Install directories on the "host" must be `/opt/hangar-<name>` (the provider refuses anything
 * else): {@link TestSshd.root} hands out one unique to this server, and `stop()` removes them.
 *
 * @example
 * const sshd = await startSshd();
 * // … connect to 127.0.0.1:sshd.port as sshd.user with sshd.clientKey, expect sshd.hostFingerprint
 * const remoteRoot = sshd.root('byo-1'); // → '/opt/hangar-t1a2b3c4d-byo-1'
 * await sshd.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.ts';

export interface TestSshd {
  port: number;
  /** Scratch directory (keys, config, logs); removed by `stop()`. */
  dir: string;
  /** The login user (whoever runs the tests). */
  user: string;
  /** The authorized client private key (OpenSSH format) and its path. */
  clientKey: string;
  clientKeyPath: string;
  /** A valid key that is NOT authorized. */
  wrongClientKey: string;
  /** The server's host-key fingerprint as `ssh-keygen -lf` prints it. */
  hostFingerprint: string;
  /** The fingerprint of some other host key (for mismatch tests). */
  otherHostFingerprint: string;
  /** The server's public host key line (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
  /** An install directory (`remoteRoot`) unique to this server and `name`, under /opt; removed by `stop()`. */
  root(name: string): string;
  /** pid of the listening sshd. */
  pid(): number;
  /** Everything sshd wrote to stderr. */
  log(): string;
  /** SIGKILL every per-connection sshd process (drops all sessions); returns how many. */
  killSessions(): number;
  /** Stop the listener (sessions too) and start it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function keygen(path: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { stdio: 'ignore' });
}

function fingerprintOf(pubPath: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath], { encoding: 'utf8' });
  const m = /(SHA256:[A-Za-z0-9+/]{43})/.exec(out);
  if (!m) throw new Error(`ssh-keygen printed no fingerprint: ${out}`);
  return m[1];
}

function waitForPort(port: number, timeoutMs: number, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const why = exited();
      if (why) return reject(new Error(why));
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Direct children of `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-sshd-'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  keygen(join(dir, 'host_ed25519'), 'hangar-test-host');
  keygen(join(dir, 'other_host_ed25519'), 'hangar-test-other-host');
  keygen(join(dir, 'client_ed25519'), 'hangar-test-client');
  keygen(join(dir, 'wrong_client_ed25519'), 'hangar-test-wrong-client');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')), { mode: 0o600 });
  const port = await freePort();
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'MaxStartups 50',
      'MaxSessions 50',
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  let out = '';
  let exitInfo: string | null = null;
  const launch = async () => {
    exitInfo = null;
    const c = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', (code, sig) => {
      if (child === c) exitInfo = `sshd exited (${code ?? sig}): ${out.slice(-2000)}`;
    });
    await waitForPort(port, 10_000, () => exitInfo);
  };
  const killSessions = () => {
    if (!child?.pid) return 0;
    // Every sshd below the listener: the privileged monitor and the network child of each
    // connection (commands they run, and agents that detached, are left alone).
    const victims: number[] = [];
    const walk = (pid: number) => {
      for (const c of childrenOf(pid)) {
        walk(c);
        if (commOf(c) === 'sshd') victims.push(c);
      }
    };
    walk(child.pid);
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    return victims.length;
  };
  const stopListener = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    killSessions();
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 3000).unref();
    });
  };
  await launch();
  const tag = randomBytes(4).toString('hex');
  const roots = new Set<string>();
  return {
    port,
    dir,
    user: userInfo().username,
    clientKey: readFileSync(join(dir, 'client_ed25519'), 'utf8'),
    clientKeyPath: join(dir, 'client_ed25519'),
    wrongClientKey: readFileSync(join(dir, 'wrong_client_ed25519'), 'utf8'),
    hostFingerprint: fingerprintOf(join(dir, 'host_ed25519.pub')),
    otherHostFingerprint: fingerprintOf(join(dir, 'other_host_ed25519.pub')),
    hostPublicKey: readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim(),
    root(name: string) {
      const r = `/opt/hangar-t${tag}-${name}`;
      roots.add(r);
      return r;
    },
    pid: () => (child as ChildProcess | null)?.pid ?? 0,
    log: () => out,
    killSessions,
    async restart() {
      await stopListener();
      await launch();
    },
    async stop() {
      await stopListener();
      rmSync(dir, { recursive: true, force: true });
      for (const r of roots) rmSync(r, { recursive: true, force: true });
    },
  };
}
