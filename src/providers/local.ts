import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
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
    const id = `local-${randomBytes(6).toString('hex')}`;
    const dir = join(this.opts.baseDir, id);
    const rec: LocalRecord = { id, name: spec.name, labels: spec.labels, pid: null, createdAt: new Date().toISOString() };
    // The server appears with its record, before its process starts: a crash before the rename
    // leaves only a `.new` directory (swept later), after it a findable, deletable server.
    const staging = `${dir}.new`;
    await mkdir(staging, { recursive: true, mode: 0o700 });
    await writeFile(join(staging, 'server.json'), JSON.stringify(rec), { mode: 0o600 });
    await rename(staging, dir);
    const configPath = join(dir, 'bootstrap.json');
    await writeFile(configPath, JSON.stringify(bootstrap), { mode: 0o600 });
    await chmod(configPath, 0o600);
    const bundle = typeof this.opts.agentBundle === 'string' ? this.opts.agentBundle : await this.opts.agentBundle();
    const out = openSync(join(dir, 'console.log'), 'a', 0o600);
    const child = spawn(process.execPath, [bundle, '--config', configPath, '--state-dir', dir], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', out, out],
      env: { PATH: process.env.PATH ?? '', HOME: dir, HANGAR_BOOTSTRAP_LOG: join(dir, 'bootstrap.log') },
    });
    closeSync(out);
    child.unref();
    rec.pid = child.pid ?? null;
    await this.write(rec);
    return this.info(rec);
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
    const rec = await this.read(id);
    if (!rec) return; // already gone: done
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

  private async read(id: string): Promise<LocalRecord | null> {
    if (!/^local-[0-9a-f]{12}$/.test(id)) return null;
    try {
      return JSON.parse(await readFile(join(this.opts.baseDir, id, 'server.json'), 'utf8')) as LocalRecord;
    } catch {
      return null;
    }
  }

  private async write(rec: LocalRecord): Promise<void> {
    const p = join(this.opts.baseDir, rec.id, 'server.json');
    await writeFile(`${p}.tmp`, JSON.stringify(rec), { mode: 0o600 });
    await rename(`${p}.tmp`, p);
  }
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
