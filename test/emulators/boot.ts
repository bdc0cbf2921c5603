/**
 * Booting emulated servers. When an emulated Hetzner server or DigitalOcean droplet reaches
 * `running`, its emulator reads the user-data exactly as cloud-init would (via
 * {@link extractBootstrap}) and calls a {@link BootHook}. The default hook, {@link createAgentBoot},
 * starts the real Hangar agent as a local process, the way the server's systemd unit would:
 *
 *   node agent.mjs --config <dir>/bootstrap.json --state-dir <dir>
 *
 * Tests that only care about the cloud API pass a fake hook that records its calls.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import * as extract from '../../src/bootstrap/extract.testing.ts';
import type { BootstrapConfig } from '../../src/bootstrap/types.ts';
import type { JoinRequest } from './tailscale.ts';

export type EmulatedProvider = 'hetzner' | 'digital-ocean';

/** What a boot hook learns about the server that just came up. */
export interface BootServer {
  provider: EmulatedProvider;
  /** The cloud's id, as a string (`'1000001'`). */
  id: string;
  name: string;
  userData: string;
  /** The agent's bootstrap config, parsed from user-data's `write_files`. */
  bootstrap: BootstrapConfig;
  labels: Record<string, string>;
  ipv4: string | null;
}

/** A server that was booted: its emulator stops it when the server is deleted or powered off. */
export interface BootedServer {
  stop(): Promise<void>;
}

export type BootHook = (server: BootServer) => Promise<BootedServer>;

/** A server whose user-data carries no bootstrap config (e.g. a snapshot builder). */
export type BuilderServer = Omit<BootServer, 'bootstrap'>;
export type BuilderBootHook = (server: BuilderServer) => Promise<BootedServer | void>;

/** One boot as recorded in an emulator's state. */
export interface BootRecord {
  id: string;
  name: string;
  kind: 'agent' | 'builder' | 'none';
  at: string;
  instanceId?: string;
  /** Snapshot builders: the build id, and the HTTP status of the ready report (null: not sent). */
  buildId?: string;
  report?: number | null;
  error?: string;
  stopped?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The default boot: the real agent as a child process

export interface AgentBootOptions {
  /** Path to agent/dist/agent.mjs; default: `ensureAgentBundle()` from src/build/agent-bundle.ts. */
  agentBundlePath?: string | (() => Promise<string>);
  /**
   * Get the agent the way a real server does instead: run the user-data's own install script
   * with `--fetch-agent` (download from the bootstrap `apiUrl`, install only a bundle whose sha256
   * is the one pinned in the user-data) and start what it installed. A refused bundle fails the
   * boot (recorded as the boot's error), and no agent starts.
   */
  fetchBundle?: boolean;
  /** Node binary (default `process.execPath`). */
  nodePath?: string;
  /** Extra environment for the agent (merged over PATH, HOME=<dir>, HANGAR_BOOTSTRAP_LOG). */
  env?: Record<string, string> | ((server: BootServer, dir: string) => Record<string, string>);
  /** Extra argv after `--state-dir <dir>`. */
  extraArgs?: string[];
  /** Grace between SIGTERM and SIGKILL (default 3000 ms). */
  killAfterMs?: number;
  /** Parent of each server's temp dir (default os.tmpdir()). */
  tmpRoot?: string;
  /** Keep the temp dir after stop (default false). */
  keepStateDir?: boolean;
  /** Called when an agent process exits by itself or is stopped. */
  onExit?: (server: BootServer, code: number | null, signal: NodeJS.Signals | null) => void;
  /**
   * Join the tailnet once the agent has enrolled, with the single-use auth key it received over
   * the enrollment channel: what `tailscale up --auth-key … --hostname …` does on a real server.
   * A Tailscale emulator (in process), or its root URL (`POST /_emulator/join`).
   */
  tailnet?: { joinDevice(req: JoinRequest): unknown } | string;
  /** Called once the agent has enrolled, with its enrollment response (secrets included: tests only). */
  onEnrolled?: (server: BootServer, enrollment: Enrollment) => void | Promise<void>;
}

/** The parts of the agent's enrollment response (its state.json) the emulators look at. */
export interface Enrollment {
  agentId?: string;
  serverName?: string;
  tailscale?: { authKey: string; hostname: string; tags: string[] } | null;
  [k: string]: unknown;
}

/** How a tailnet join went. */
export interface TailnetJoin {
  ok: boolean;
  hostname: string;
  detail: string;
}

/** A booted agent process. */
export interface AgentProcess extends BootedServer {
  pid: number;
  /** The server's fresh temp dir: bootstrap.json (0600), agent state, console.log. */
  dir: string;
  configPath: string;
  logPath: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The enrollment response once the agent has enrolled; null if it exited or was stopped first. */
  enrolled: Promise<Enrollment | null>;
  /** The tailnet join, when `tailnet` is set and the enrollment carried an auth key; else null. */
  tailnetJoin: Promise<TailnetJoin | null>;
}

/** Resolve the agent bundle path: imported lazily so the emulators load without it. */
export async function resolveAgentBundle(opt?: AgentBootOptions['agentBundlePath']): Promise<string> {
  if (typeof opt === 'string') return opt;
  if (typeof opt === 'function') return opt();
  const mod = await import('../../src/build/agent-bundle.ts');
  return mod.ensureAgentBundle();
}

/**
 * The default {@link BootHook}: write the bootstrap config into a fresh temp dir (0600) and
 * spawn `node <agent bundle> --config <dir>/bootstrap.json --state-dir <dir>`. Its `stop()`
 * sends SIGTERM to the process group, then SIGKILL after `killAfterMs`.
 *
 * @example
 * const hz = await startHetznerEmulator({ boot: createAgentBoot({ env: { HANGAR_LOG: 'debug' } }) });
 */
export function createAgentBoot(opts: AgentBootOptions = {}): BootHook & { processes: Map<string, AgentProcess> } {
  const processes = new Map<string, AgentProcess>();
  const boot = async (server: BootServer): Promise<AgentProcess> => {
    const dir = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), `hangar-emu-${server.provider}-${server.id}-`));
    await chmod(dir, 0o700);
    let bundle: string;
    try {
      bundle = opts.fetchBundle ? await fetchBundleLikeTheServer(server.userData, dir) : await resolveAgentBundle(opts.agentBundlePath);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const configPath = join(dir, 'bootstrap.json');
    await writeFile(configPath, JSON.stringify(server.bootstrap, null, 2), { mode: 0o600 });
    await chmod(configPath, 0o600);
    const logPath = join(dir, 'console.log');
    const extraEnv = typeof opts.env === 'function' ? opts.env(server, dir) : (opts.env ?? {});
    const out = openSync(logPath, 'a', 0o600);
    const child = spawn(opts.nodePath ?? process.execPath, [bundle, '--config', configPath, '--state-dir', dir, ...(opts.extraArgs ?? [])], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', out, out],
      env: { PATH: process.env.PATH ?? '', HOME: dir, HANGAR_BOOTSTRAP_LOG: join(dir, 'bootstrap.log'), ...extraEnv },
    });
    closeSync(out);
    const pid = child.pid;
    if (pid === undefined) {
      await new Promise((r) => child.once('error', r));
      throw new Error(`could not spawn the agent for server ${server.id}`);
    }
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        processes.delete(server.id);
        opts.onExit?.(server, code, signal);
        resolve({ code, signal });
      });
    });
    child.unref();
    let stopping: Promise<void> | null = null;
    const enrolled = watchEnrollment(join(dir, 'state.json'), () => done || stopping !== null);
    const tailnetJoin = enrolled.then(async (e) => {
      if (e) await Promise.resolve(opts.onEnrolled?.(server, e)).catch(() => undefined);
      const ts = e?.tailscale;
      if (!ts?.authKey || !opts.tailnet) return null;
      return joinTailnet(opts.tailnet, { hostname: ts.hostname, authKey: ts.authKey, tags: ts.tags });
    });
    const proc: AgentProcess = {
      pid,
      dir,
      configPath,
      logPath,
      exited,
      enrolled,
      tailnetJoin,
      stop() {
        stopping ??= (async () => {
          if (!done) {
            killGroup(pid, 'SIGTERM');
            const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), opts.killAfterMs ?? 3000).unref())]);
            if (!killed) {
              killGroup(pid, 'SIGKILL');
              await exited;
            }
          }
          if (!opts.keepStateDir) await rm(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
    processes.set(server.id, proc);
    return proc;
  };
  return Object.assign(boot, { processes });
}

const execFileP = promisify(execFile);

/**
 * What the install script in `userData` installs as the agent: it runs with `--fetch-agent
 * <dir>/rootfs` (nothing but the download and its sha256 check) and the bundle's path under that
 * root is returned. Throws with the script's last line when it refuses the bundle.
 *
 * @example
 * await fetchBundleLikeTheServer(userData, dir) // → '<dir>/rootfs/opt/hangar/agent/agent.mjs'
 */
export async function fetchBundleLikeTheServer(userData: string, dir: string): Promise<string> {
  const doc = parseYaml(userData) as { write_files?: { path: string; content: string }[] } | null;
  const script = doc?.write_files?.find((f) => f.path === '/opt/hangar/bootstrap/install.sh')?.content;
  if (!script) throw new Error('the user-data has no install script');
  // Tests run as root here: never run a script that would install a whole server instead.
  if (!/^if \[\[ "\$\{1:-\}" == --fetch-agent \]\]; then$/m.test(script)) throw new Error('the install script has no --fetch-agent mode');
  const path = join(dir, 'install.sh');
  await writeFile(path, script, { mode: 0o700 });
  const root = join(dir, 'rootfs');
  try {
    await execFileP('bash', [path, '--fetch-agent', root], { timeout: 60_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    const last = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').pop() ?? '';
    throw new Error(`install.sh --fetch-agent exited with ${e.code}: ${last}`);
  }
  return join(root, 'opt/hangar/agent/agent.mjs');
}

/** Poll for the agent's state.json (written at enrollment) until it parses or `gone()`. */
async function watchEnrollment(path: string, gone: () => boolean): Promise<Enrollment | null> {
  for (;;) {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as Enrollment;
    } catch {
      /* not written yet, or half written */
    }
    if (gone()) return null;
    await new Promise((r) => setTimeout(r, 100).unref());
  }
}

/** `tailscale up` against an emulated tailnet: in process, or over its control endpoint. */
export async function joinTailnet(tailnet: NonNullable<AgentBootOptions['tailnet']>, req: JoinRequest): Promise<TailnetJoin> {
  try {
    if (typeof tailnet === 'string') {
      const res = await fetch(`${tailnet.replace(/\/+$/, '')}/_emulator/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) });
      const body = (await res.json().catch(() => ({}))) as { id?: string; message?: string };
      return { ok: res.ok, hostname: req.hostname, detail: res.ok ? `device ${body.id}` : (body.message ?? `HTTP ${res.status}`) };
    }
    const d = tailnet.joinDevice(req) as { id?: string };
    return { ok: true, hostname: req.hostname, detail: `device ${d?.id}` };
  } catch (err) {
    return { ok: false, hostname: req.hostname, detail: err instanceof Error ? err.message : String(err) };
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping shared by the Hetzner and DigitalOcean emulators

export interface BooterOptions {
  provider: EmulatedProvider;
  /** The boot hook; undefined: {@link createAgentBoot}() (lazily); false: never boot. */
  boot?: BootHook | false;
  /** Called for a server without a bootstrap config; replaces the default snapshot builder. */
  onBuilderBoot?: BuilderBootHook;
  /** How the default snapshot builder behaves; false: builders do nothing. */
  snapshotBuilder?: SnapshotBuilderOptions | false;
  /** Power the server off (the builder's last step); supplied by the emulator. */
  powerOff?: (id: string) => void;
  onEvent?: (event: 'boot' | 'boot:error' | 'boot:stopped', record: BootRecord) => void;
}

/** The default snapshot builder: plays what the builder user-data's scripts do on a real server. */
export interface SnapshotBuilderOptions {
  /** How long "install + clean" takes before the builder reports (default 200 ms). */
  installMs?: number;
  /** Report `ok: false` with this message instead of success (an install that failed). */
  failWith?: string;
  /** Attempts and spacing of the ready report (the script's curl: 10 retries, 3 s apart). */
  retries?: number;
  retryDelayMs?: number;
}

type SnapshotBuild = { apiUrl: string; buildId: string; buildToken: string; bootstrapVersion: string };

/** The builder config in user-data, via src/bootstrap/extract.testing.ts when it provides it. */
function snapshotBuildOf(userData: string): SnapshotBuild | null {
  const fn = (extract as { extractSnapshotBuild?: (u: string) => SnapshotBuild | null }).extractSnapshotBuild;
  try {
    return fn ? fn(userData) : null;
  } catch {
    return null;
  }
}

/**
 * A snapshot builder's life: install (a delay), `POST {apiUrl}/v1/snapshot-builds/{id}/ready`
 * with its build token (retried like the script's curl), then power off (also when the
 * report never got through, as the script does). Resolves with the report's outcome.
 */
export async function playSnapshotBuilder(build: SnapshotBuild, o: SnapshotBuilderOptions & { powerOff?: () => void; cancelled?: () => boolean } = {}): Promise<{ status: number | null; error?: string }> {
  await new Promise((r) => setTimeout(r, o.installMs ?? 200).unref());
  if (o.cancelled?.()) return { status: null, error: 'server gone before the build finished' };
  const body = o.failWith ? { ok: false, bootstrapVersion: build.bootstrapVersion, message: o.failWith } : { ok: true, bootstrapVersion: build.bootstrapVersion };
  let outcome: { status: number | null; error?: string } = { status: null, error: 'not sent' };
  for (let i = 0; i <= (o.retries ?? 10); i++) {
    if (o.cancelled?.()) break;
    try {
      const res = await fetch(`${build.apiUrl.replace(/\/+$/, '')}/v1/snapshot-builds/${encodeURIComponent(build.buildId)}/ready`, {
        method: 'POST',
        headers: { authorization: `Bearer ${build.buildToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      outcome = res.ok ? { status: res.status } : { status: res.status, error: `HTTP ${res.status}` };
      // curl --retry-all-errors -f: retried on any failure, not only 5xx.
      if (res.ok) break;
    } catch (err) {
      outcome = { status: null, error: err instanceof Error ? err.message : String(err) };
    }
    await new Promise((r) => setTimeout(r, o.retryDelayMs ?? 3000).unref());
  }
  if (!o.cancelled?.()) o.powerOff?.();
  return outcome;
}

/** Calls the boot hooks and remembers what runs for which server, so it can be stopped. */
export class Booter {
  readonly records: BootRecord[] = [];
  private readonly running = new Map<string, Promise<BootedServer | void>>();
  private defaultBoot: BootHook | null = null;

  constructor(private readonly opts: BooterOptions) {}

  private hook(): BootHook | null {
    if (this.opts.boot === false) return null;
    if (this.opts.boot) return this.opts.boot;
    this.defaultBoot ??= createAgentBoot();
    return this.defaultBoot;
  }

  /** Boot a server that has just reached `running`. Never throws: errors are recorded. */
  start(server: Omit<BootServer, 'bootstrap' | 'provider'>): void {
    const provider = this.opts.provider;
    let bootstrap: BootstrapConfig | null = null;
    try {
      bootstrap = extract.extractBootstrap(server.userData);
    } catch {
      bootstrap = null;
    }
    const record: BootRecord = { id: server.id, name: server.name, kind: 'none', at: new Date().toISOString() };
    let p: Promise<BootedServer | void>;
    let build: SnapshotBuild | null = null;
    if (bootstrap) {
      const hook = this.hook();
      if (!hook) return;
      record.kind = 'agent';
      record.instanceId = bootstrap.instanceId;
      p = Promise.resolve().then(() => hook({ ...server, provider, bootstrap }));
    } else if (this.opts.onBuilderBoot) {
      record.kind = 'builder';
      const hook = this.opts.onBuilderBoot;
      p = Promise.resolve().then(() => hook({ ...server, provider }));
    } else if (this.opts.snapshotBuilder !== false && (build = snapshotBuildOf(server.userData))) {
      record.kind = 'builder';
      record.buildId = build.buildId;
      let gone = false;
      void playSnapshotBuilder(build, { ...(this.opts.snapshotBuilder || {}), cancelled: () => gone, powerOff: () => this.opts.powerOff?.(server.id) }).then((r) => {
        record.report = r.status;
        if (r.error) record.error = r.error;
      });
      p = Promise.resolve({ stop: async () => void (gone = true) });
    } else {
      this.records.push(record);
      return;
    }
    this.records.push(record);
    const tracked = p.then(
      (booted) => {
        this.opts.onEvent?.('boot', record);
        return booted;
      },
      (err: unknown) => {
        record.error = err instanceof Error ? err.message : String(err);
        this.opts.onEvent?.('boot:error', record);
        return undefined;
      },
    );
    this.running.set(server.id, tracked);
  }

  /** Stop what was booted for this server (SIGTERM, then SIGKILL for agents). */
  async stop(id: string): Promise<void> {
    const p = this.running.get(id);
    if (!p) return;
    this.running.delete(id);
    const booted = await p;
    if (booted) await booted.stop().catch(() => undefined);
    for (const r of this.records) if (r.id === id && !r.stopped) r.stopped = true;
    const rec = this.records.find((r) => r.id === id);
    if (rec) this.opts.onEvent?.('boot:stopped', rec);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)));
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  clear(): void {
    this.records.length = 0;
  }
}
