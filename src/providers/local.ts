import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from '../domain/errors.ts';
import { agentConfigOf } from './agent-config.ts';
import type { CloudProvider, FindQuery, Image, Location, ServerInfo, ServerSpec, ServerType } from './types.ts';

interface LocalRecord {
  id: string;
  name: string;
  labels: Record<string, string>;
  pid: number | null;
  createdAt: string;
}

/**
 * The `local` provider: a "server" is the real agent running as a detached child process in
 * its own working directory under `baseDir`, given only what user-data would give it (the
 * bootstrap config cloud-init writes, taken from `spec.bootstrap`). Records survive Hangar
 * restarts; agents keep running and are found again by label.
 *
 * @example
 * const local = new LocalProvider({ baseDir: '.hangar/local', agentBundle: await ensureAgentBundle() });
 */
export class LocalProvider implements CloudProvider {
  readonly name = 'local' as const;
  readonly userDataLimit = 64 * 1024;

  constructor(private readonly opts: { baseDir: string; agentBundle: string | (() => Promise<string>) }) {}

  async createServer(spec: ServerSpec): Promise<ServerInfo> {
    if (Buffer.byteLength(spec.userData) > this.userDataLimit) throw new ProviderError('local', 'invalid_input', `user_data exceeds ${this.userDataLimit} bytes`, 422);
    const bootstrap = agentConfigOf('local', spec);
    if ((await this.findServers({ name: spec.name })).length) throw new ProviderError('local', 'uniqueness_error', `server name ${spec.name} is already used`, 409);
    // The bundle first (it may be built on first use): nothing of the server exists meanwhile.
    const bundle = typeof this.opts.agentBundle === 'string' ? this.opts.agentBundle : await this.opts.agentBundle();
    const id = `local-${randomBytes(6).toString('hex')}`;
    const dir = join(this.opts.baseDir, id);
    const rec: LocalRecord = { id, name: spec.name, labels: spec.labels, pid: null, createdAt: new Date().toISOString() };
    // The server appears with its record and its user-data (bootstrap.json) at once, as a cloud's
    // does: a crash before the rename leaves only a `.new` directory (swept later); after it, a
    // server that boots, now or (if this process died first) at the next look at it.
    const staging = `${dir}.new`;
    await mkdir(staging, { recursive: true, mode: 0o700 });
    await writeFile(join(staging, 'server.json'), JSON.stringify(rec), { mode: 0o600 });
    await writeFile(join(staging, 'bootstrap.json'), JSON.stringify(bootstrap), { mode: 0o600 });
    await chmod(join(staging, 'bootstrap.json'), 0o600);
    await rename(staging, dir);
    return this.info(await this.boot(rec, bundle));
  }

  /**
   * Start a created server's agent once: whoever creates `boot.lock` spawns it and records its
   * pid. A record left without a pid by a crash boots at the next look (what a cloud does with a
   * server it was asked to create); a boot that died between its lock and its pid is retried
   * after BOOT_GRACE_MS unless its agent is found running.
   */
  private async boot(rec: LocalRecord, bundle?: string): Promise<LocalRecord> {
    const dir = join(this.opts.baseDir, rec.id);
    const lock = join(dir, 'boot.lock');
    try {
      closeSync(openSync(lock, 'wx', 0o600));
    } catch {
      const age = Date.now() - (await stat(lock).then((st) => st.mtimeMs, () => Date.now()));
      const running = agentPidIn(dir);
      if (running !== null) return this.write({ ...rec, pid: running });
      if (age < BOOT_GRACE_MS) return rec; // another caller is starting it right now
      await rm(lock, { force: true });
      return this.boot(rec, bundle);
    }
    bundle ??= typeof this.opts.agentBundle === 'string' ? this.opts.agentBundle : await this.opts.agentBundle();
    const out = openSync(join(dir, 'console.log'), 'a', 0o600);
    const child = spawn(process.execPath, [bundle, '--config', join(dir, 'bootstrap.json'), '--state-dir', dir], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', out, out],
      env: { PATH: process.env.PATH ?? '', HOME: dir, HANGAR_BOOTSTRAP_LOG: join(dir, 'bootstrap.log') },
    });
    closeSync(out);
    child.unref();
    return this.write({ ...rec, pid: child.pid ?? null });
  }

  async findServers(query: FindQuery): Promise<ServerInfo[]> {
    const out: ServerInfo[] = [];
    for (const rec of await this.records()) {
      if (query.name && rec.name !== query.name) continue;
      if (query.labels && !Object.entries(query.labels).every(([k, v]) => rec.labels[k] === v)) continue;
      out.push(this.info(rec));
    }
    return out;
  }

  async getServer(id: string): Promise<ServerInfo | null> {
    const rec = await this.read(id);
    return rec ? this.info(rec) : null;
  }

  async deleteServer(id: string): Promise<void> {
    const rec = await this.read(id, { boot: false });
    if (!rec) return; // already gone: done
    rec.pid ??= agentPidIn(join(this.opts.baseDir, id)); // a boot cut short by a crash
    if (rec.pid && alive(rec.pid)) {
      killGroup(rec.pid, 'SIGTERM');
      for (let i = 0; i < 50 && alive(rec.pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive(rec.pid)) killGroup(rec.pid, 'SIGKILL');
    }
    await rm(join(this.opts.baseDir, id), { recursive: true, force: true });
  }

  async listServerTypes(): Promise<ServerType[]> {
    return [{ name: 'process', description: 'An agent process on this machine', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), diskGb: 0, prices: [{ location: 'local', hourly: 0, monthly: 0, currency: 'EUR' }] }];
  }

  async listLocations(): Promise<Location[]> {
    return [{ name: 'local', description: 'This machine' }];
  }

  async listImages(): Promise<Image[]> {
    return [{ id: 'host', name: 'host', description: 'The host operating system', kind: 'system', labels: {} }];
  }

  private info(rec: LocalRecord): ServerInfo {
    return { id: rec.id, name: rec.name, labels: rec.labels, status: rec.pid && alive(rec.pid) ? 'running' : 'off', ipv4: '127.0.0.1', location: 'local', serverType: 'process', image: 'host', createdAt: rec.createdAt };
  }

  private async records(): Promise<LocalRecord[]> {
    if (!existsSync(this.opts.baseDir)) return [];
    const out: LocalRecord[] = [];
    for (const id of await readdir(this.opts.baseDir)) {
      // A create interrupted before its rename: no record, no process; remove it once it is stale.
      if (id.endsWith('.new')) {
        const p = join(this.opts.baseDir, id);
        if (Date.now() - (await stat(p).then((st) => st.mtimeMs, () => Date.now())) > 60_000) await rm(p, { recursive: true, force: true });
        continue;
      }
      const rec = await this.read(id);
      if (rec) out.push(rec);
    }
    return out;
  }

  /** A server's record; one whose agent never started (its creator died) boots now. */
  private async read(id: string, opts: { boot?: boolean } = {}): Promise<LocalRecord | null> {
    if (!/^local-[0-9a-f]{12}$/.test(id)) return null;
    let rec: LocalRecord;
    try {
      rec = JSON.parse(await readFile(join(this.opts.baseDir, id, 'server.json'), 'utf8')) as LocalRecord;
    } catch {
      return null;
    }
    return rec.pid === null && opts.boot !== false ? this.boot(rec) : rec;
  }

  private async write(rec: LocalRecord): Promise<LocalRecord> {
    const p = join(this.opts.baseDir, rec.id, 'server.json');
    const tmp = `${p}.${randomBytes(4).toString('hex')}.tmp`; // concurrent writers never share one
    await writeFile(tmp, JSON.stringify(rec), { mode: 0o600 });
    await rename(tmp, p);
    return rec;
  }
}

/** How long a boot may sit between its lock and its recorded pid before it counts as crashed. */
const BOOT_GRACE_MS = 10_000;

/**
 * The pid of an agent running with `--state-dir dir`, found in /proc (Linux), or null: a boot that
 * died after its spawn but before it recorded the pid must not start a second agent.
 */
function agentPidIn(dir: string): number | null {
  if (!existsSync('/proc')) return null;
  const want = `--state-dir\0${dir}\0`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(want)) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return null;
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}
