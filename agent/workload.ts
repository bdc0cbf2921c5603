import { spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { HealthCheck, WorkloadPlan } from '../src/domain/agent-contract.ts';

/** Runs one workload plan: writes its files, runs its start commands, supervises its process. */
export class Workload {
  private child: ChildProcess | null = null;
  private stopping = false;
  /** Bumped on every start: exit handlers of an older process never relaunch it. */
  private generation = 0;
  health: HealthCheck;

  constructor(
    private readonly plan: WorkloadPlan,
    private readonly log: (line: string) => void,
  ) {
    this.health = plan.health;
  }

  /** pid of the supervised process, if any. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.generation++;
    this.health = this.plan.health;
    for (const f of this.plan.files) {
      const clash = await vendorUnitClash(f.path);
      if (clash) throw new Error(`refusing to write ${f.path}: it would replace the system's own unit ${clash}; rename the stack`);
      await mkdir(dirname(f.path), { recursive: true });
      await writeFile(f.path, f.content, { mode: parseInt(f.mode, 8) });
      await chmod(f.path, parseInt(f.mode, 8));
      this.log(`wrote ${f.path} (${f.mode})`);
    }
    for (const argv of this.plan.start) await run(argv, this.log);
    if (this.plan.process) await this.spawnProcess();
  }

  private async spawnProcess(): Promise<void> {
    const p = this.plan.process!;
    let port = p.port ?? 0;
    if (port === 0) port = await freePort();
    const sub = (s: string) => s.replaceAll('{port}', String(port)).replaceAll('{node}', process.execPath).replaceAll('{agent}', process.argv[1]);
    if (this.health.type === 'http') this.health = { ...this.health, url: sub(this.health.url) };
    const identity = await processIdentity(p.user, this.log);
    const gen = this.generation;
    const launch = () => {
      if (gen !== this.generation || this.stopping) return;
      const env = { ...process.env, ...p.env, ...(identity ? { HOME: identity.home, USER: p.user!, LOGNAME: p.user! } : {}) };
      const child = spawn(sub(p.command), p.args.map(sub), { env, stdio: ['ignore', 'pipe', 'pipe'], ...(identity ? { uid: identity.uid, gid: identity.gid } : {}) });
      child.stdout?.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => this.log(`[workload] ${l}`)));
      child.stderr?.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => this.log(`[workload] ${l}`)));
      child.on('exit', (code, signal) => {
        this.log(`workload process exited (${signal ?? code})`);
        if (this.child === child) this.child = null;
        if (!this.stopping && gen === this.generation) setTimeout(launch, 1000).unref();
      });
      this.child = child;
    };
    launch();
    this.log(`workload process started on port ${port}`);
  }

  /** One health probe. */
  async check(): Promise<{ healthy: boolean; detail: string }> {
    const h = this.health;
    try {
      if (h.type === 'http') {
        const res = await fetch(h.url, { signal: AbortSignal.timeout(3000) });
        const ok = res.status === (h.expectStatus ?? 200);
        return { healthy: ok, detail: `${h.url} → ${res.status}` };
      }
      if (h.type === 'systemd') {
        const code = await run(['systemctl', 'is-active', '--quiet', h.unit], () => {}).then(() => 0, () => 1);
        return { healthy: code === 0, detail: `${h.unit} ${code === 0 ? 'active' : 'inactive'}` };
      }
      // The same project the stack was started with (`-p`), whatever `name:` the file itself gives.
      const out = await capture(['docker', 'compose', ...(h.project ? ['-p', h.project] : []), '-f', h.file, 'ps', '--format', 'json']);
      const running = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Service: string; State: string; Health?: string });
      const bad = h.services.filter((s) => !running.some((r) => r.Service === s && r.State === 'running' && (!r.Health || r.Health === 'healthy')));
      return { healthy: bad.length === 0, detail: bad.length ? `not up: ${bad.join(', ')}` : 'all services up' };
    } catch (err) {
      return { healthy: false, detail: (err as Error).message };
    }
  }

  /** Stop, then start again (files, start commands, process). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    for (const argv of this.plan.stop) await run(argv, this.log).catch((e) => this.log(`stop: ${(e as Error).message}`));
  }
}

function run(argv: string[], log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    log(`$ ${argv.join(' ')}`);
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach(log);
    child.stdout.on('data', out);
    child.stderr.on('data', out);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${argv[0]} exited ${code}`))));
  });
}

function capture(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    child.stdout.on('data', (d: Buffer) => (s += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`${argv[0]} exited ${code}`))));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * The uid/gid a workload process runs as: `user`'s when the agent is root (on a server the
 * agent is root and the workload must not be), none when no user is asked for or the agent is
 * not root (then it cannot switch, and says so). When the user does not exist (an SSH host
 * Hangar did not install, an emulated server) the workload runs as the agent's user, with a
 * warning in the bootstrap log, so the fallback is never silent.
 *
 * @example
 * await processIdentity('hangar', log) // → { uid: 998, gid: 998, home: '/var/lib/hangar' } (as root)
 */
export async function processIdentity(user: string | undefined, log: (line: string) => void): Promise<{ uid: number; gid: number; home: string } | null> {
  if (!user) return null;
  if (process.getuid?.() !== 0) {
    log(`workload runs as ${userInfo().username} (the agent is not root, so it cannot switch to ${user})`);
    return null;
  }
  const entry = (await readFile('/etc/passwd', 'utf8')).split('\n').map((l) => l.split(':')).find((f) => f[0] === user);
  if (!entry || entry.length < 7) {
    log(`WARNING: user ${user} does not exist on this server (the install script creates it); the workload runs as ${userInfo().username}`);
    return null;
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]), home: entry[5] || '/' };
}

/** Where the system's packages install their units (a unit in /etc/systemd/system overrides them). */
export const VENDOR_UNIT_DIRS = ['/lib/systemd/system', '/usr/lib/systemd/system'];

/**
 * The vendor unit a workload file would override, or null: a file written to
 * /etc/systemd/system/NAME when a package already ships NAME (e.g. a stack called `tailscaled`
 * would replace tailscale's own unit and lock the operator out on the next restart).
 *
 * @example
 * await vendorUnitClash('/etc/systemd/system/tailscaled.service') // → '/lib/systemd/system/tailscaled.service'
 */
export async function vendorUnitClash(path: string, dirs: readonly string[] = VENDOR_UNIT_DIRS): Promise<string | null> {
  if (dirname(path) !== '/etc/systemd/system') return null;
  for (const dir of dirs) {
    const vendor = join(dir, basename(path));
    if (await access(vendor).then(() => true, () => false)) return vendor;
  }
  return null;
}
