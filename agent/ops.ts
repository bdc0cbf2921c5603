/**
 * The agent's operations commands (`hangar status|doctor|logs|smoke|restart|exec`), run on the
 * hub's `command` messages. The checks and parsers are pure functions (unit-tested); the
 * handlers gather facts from the machine and call them.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile, statfs } from 'node:fs/promises';
import { freemem, hostname, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import type { WorkloadPlan } from '../src/domain/agent-contract.ts';
import type { Workload } from './workload.ts';
import { HUB_MAX_FRAME_BYTES } from '../src/hub/protocol.ts';
import { RESTART_EXIT_CODE } from './release-files.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}
export interface OpResult {
  ok: boolean;
  data?: unknown;
  error?: string;
}
export type LogUnit = 'agent' | 'bootstrap' | 'workload';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const fmtBytes = (n: number) => (n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : `${Math.round(n / MiB)} MiB`);

// ── pure parts ────────────────────────────────────────────────────────────────

/** Free space of the state directory's file system: warn under 1 GiB or 10 %, fail under 200 MiB or 2 %. */
export function diskCheck(freeBytes: number, totalBytes: number, path: string): Check {
  const pct = totalBytes > 0 ? (freeBytes / totalBytes) * 100 : 0;
  const detail = `${fmtBytes(freeBytes)} free of ${fmtBytes(totalBytes)} (${pct.toFixed(0)}%) on ${path}`;
  if (freeBytes < 200 * MiB || pct < 2) return { name: 'disk', status: 'fail', detail, hint: 'free disk space: docker system prune -af; journalctl --vacuum-size=200M' };
  if (freeBytes < GiB || pct < 10) return { name: 'disk', status: 'warn', detail, hint: 'disk is getting full: docker system prune; journalctl --vacuum-size=200M' };
  return { name: 'disk', status: 'pass', detail };
}

/** Available memory: warn under 10 %, fail under 3 %. */
export function memoryCheck(freeBytes: number, totalBytes: number): Check {
  const pct = totalBytes > 0 ? (freeBytes / totalBytes) * 100 : 0;
  const detail = `${fmtBytes(freeBytes)} available of ${fmtBytes(totalBytes)} (${pct.toFixed(0)}%)`;
  if (pct < 3) return { name: 'memory', status: 'fail', detail, hint: 'the server is out of memory: restart the workload or pick a larger server type' };
  if (pct < 10) return { name: 'memory', status: 'warn', detail, hint: 'memory is low: check the workload for leaks or pick a larger server type' };
  return { name: 'memory', status: 'pass', detail };
}

/** Clock skew against the control plane's clock: warn over 5 s, fail over 60 s. */
export function clockCheck(serverTime: unknown, now = Date.now()): Check {
  const t = typeof serverTime === 'number' ? serverTime : typeof serverTime === 'string' ? Date.parse(serverTime) : NaN;
  if (!Number.isFinite(t)) return { name: 'clock', status: 'warn', detail: 'the control plane sent no time; skew unknown' };
  const skew = now - t;
  const detail = `${skew >= 0 ? '+' : ''}${(skew / 1000).toFixed(1)} s against the control plane`;
  const hint = 'enable time sync: timedatectl set-ntp true (systemd-timesyncd or chrony)';
  if (Math.abs(skew) > 60_000) return { name: 'clock', status: 'fail', detail, hint };
  if (Math.abs(skew) > 5_000) return { name: 'clock', status: 'warn', detail, hint };
  return { name: 'clock', status: 'pass', detail };
}

/** A secret file must be readable by its owner only. */
export function secretFileCheck(path: string, mode: number | null): Check {
  const name = `permissions ${path.split('/').pop()}`;
  if (mode === null) return { name, status: 'pass', detail: `${path} not present` };
  const m = mode & 0o777;
  const octal = m.toString(8).padStart(4, '0');
  if (m & 0o077) return { name, status: 'fail', detail: `${path} is ${octal}; other users can read it`, hint: `chmod 600 ${path}` };
  return { name, status: 'pass', detail: `${path} is ${octal}` };
}

export interface TailscaleState {
  backendState: string;
  dnsName: string | null;
  online: boolean | null;
  ips: string[];
}

/** The useful bits of `tailscale status --json`. */
export function parseTailscaleStatus(text: string): TailscaleState | null {
  try {
    const j = JSON.parse(text) as { BackendState?: string; Self?: { DNSName?: string; Online?: boolean; TailscaleIPs?: string[] } };
    const dns = j.Self?.DNSName ? j.Self.DNSName.replace(/\.$/, '') : null;
    return { backendState: j.BackendState ?? 'Unknown', dnsName: dns || null, online: j.Self?.Online ?? null, ips: j.Self?.TailscaleIPs ?? [] };
  } catch {
    return null;
  }
}

export function tailscaleCheck(state: TailscaleState | null, raw = ''): Check {
  if (!state) return { name: 'tailscale', status: 'warn', detail: `could not read tailscale status${raw ? `: ${truncate(raw, 200)}` : ''}`, hint: 'sudo tailscale status' };
  if (state.backendState === 'Running') return { name: 'tailscale', status: 'pass', detail: `running as ${state.dnsName ?? '?'}${state.ips.length ? ` (${state.ips[0]})` : ''}` };
  return { name: 'tailscale', status: 'fail', detail: `tailscale is ${state.backendState}`, hint: state.backendState === 'NeedsLogin' ? 'tailscale up --auth-key=… (the enrollment key is single-use; recreate the key in the admin console)' : 'sudo systemctl restart tailscaled && sudo tailscale up' };
}

/** `ufw status` output → a check. */
export function ufwCheck(out: string): Check {
  const active = /^Status:\s*active/im.test(out);
  if (!active) return { name: 'firewall', status: 'fail', detail: 'ufw is inactive', hint: 'sudo ufw default deny incoming && sudo ufw enable' };
  const rules = out.split('\n').filter((l) => /\b(ALLOW|DENY|REJECT|LIMIT)\b/.test(l)).length;
  if (rules === 0) return { name: 'firewall', status: 'warn', detail: 'ufw is active with no rules', hint: 'check the rules: sudo ufw status verbose' };
  return { name: 'firewall', status: 'pass', detail: `ufw active, ${rules} rules` };
}

/** The last `n` lines of a text, without an empty trailing line. */
export function tailLines(text: string, n: number): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return n <= 0 ? [] : lines.slice(-n);
}

/** Lines of agent.log (`<iso> [<source>] text`) of one source. */
export function linesOfUnit(text: string, unit: LogUnit): string[] {
  const tag = ` [${unit}] `;
  return text.split('\n').filter((l) => l.includes(tag)).map((l) => l.replace(tag, ' '));
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… [${s.length - max} more characters]`;
}

export function clampInt(v: unknown, def: number, min: number, max: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : def;
}

/** Overall doctor verdict: the worst status of its checks. */
export function worst(checks: Check[]): CheckStatus {
  return checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
}

// ── running programs ─────────────────────────────────────────────────────────

/** Whether `bin` is an executable on PATH. */
export function which(bin: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** Run argv (no shell) with a timeout, keeping at most `maxBytes` of each stream. */
export function runArgv(argv: string[], timeoutMs: number, maxBytes = 64 * 1024, cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    } catch (err) {
      return resolve({ exitCode: 127, signal: null, stdout: '', stderr: (err as Error).message, timedOut: false, durationMs: 0 });
    }
    const add = (cur: string, d: Buffer) => (cur.length >= maxBytes ? cur : cur + d.toString().slice(0, maxBytes - cur.length));
    child.stdout.on('data', (d: Buffer) => (stdout = add(stdout, d)));
    child.stderr.on('data', (d: Buffer) => (stderr = add(stderr, d)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, signal: null, stdout, stderr: stderr + err.message, timedOut, durationMs: Date.now() - t0 });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code, signal, stdout, stderr, timedOut, durationMs: Date.now() - t0 });
    });
  });
}

// ── handlers ─────────────────────────────────────────────────────────────────

export interface OpsContext {
  version: string;
  stateDir: string;
  configPath: string;
  logPath: string;
  plan: WorkloadPlan;
  workload: Workload;
  startedAt: number;
  hubUrl: string;
  connection: () => { connected: boolean; since: number | null; reconnects: number };
  lastHealth: () => { healthy: boolean | null; detail: string | null; at: number | null };
  tailnetName: () => string | null;
  execEnabled: () => boolean;
  /** Pause health reports while the workload restarts. */
  setRestarting: (on: boolean) => void;
  log: (line: string) => void;
  /** Exit so a supervisor restarts the agent (only called when one is present). */
  exitForRestart: () => void;
}

/** Tail of the install script's log (cloud-init/SSH bootstrap), if the server has one. */
export function bootstrapLogPath(): string {
  return process.env.HANGAR_BOOTSTRAP_LOG ?? '/var/log/hangar-bootstrap.log';
}

export async function opStatus(ctx: OpsContext): Promise<OpResult> {
  const h = ctx.lastHealth();
  const c = ctx.connection();
  return {
    ok: true,
    data: {
      version: ctx.version,
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
      hostname: hostname(),
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      workload: { kind: ctx.plan.kind, healthy: h.healthy, detail: h.detail, checkedAt: h.at ? new Date(h.at).toISOString() : null, pid: ctx.workload.pid },
      connection: { hubUrl: ctx.hubUrl, connected: c.connected, since: c.since ? new Date(c.since).toISOString() : null, reconnects: c.reconnects },
      tailnetName: ctx.tailnetName(),
      execEnabled: ctx.execEnabled(),
    },
  };
}

export async function opDoctor(ctx: OpsContext, args: Record<string, unknown>): Promise<OpResult> {
  const checks: Check[] = [];
  try {
    const s = await statfs(ctx.stateDir);
    checks.push(diskCheck(s.bavail * s.bsize, s.blocks * s.bsize, ctx.stateDir));
  } catch (err) {
    checks.push({ name: 'disk', status: 'warn', detail: `statfs failed: ${(err as Error).message}` });
  }
  checks.push(memoryCheck(freemem(), totalmem()));
  checks.push(clockCheck(args.serverTime));

  const needsDocker = ctx.plan.health.type === 'compose' || ctx.plan.start.some((a) => a[0] === 'docker');
  if (!which('docker')) {
    checks.push({ name: 'docker', status: needsDocker ? 'fail' : 'warn', detail: 'docker not installed', hint: needsDocker ? 'install Docker: curl -fsSL https://get.docker.com | sh' : 'not needed by this workload; install Docker for compose workloads' });
  } else {
    const r = await runArgv(['docker', 'info', '--format', '{{.ServerVersion}}'], 10_000, 4096);
    if (r.exitCode === 0) checks.push({ name: 'docker', status: 'pass', detail: `docker running (server ${r.stdout.trim() || '?'})` });
    else checks.push({ name: 'docker', status: needsDocker ? 'fail' : 'warn', detail: `docker daemon not reachable: ${truncate((r.stderr || r.stdout).trim().split('\n')[0] ?? '', 200)}`, hint: 'sudo systemctl start docker (and check the agent user is in the docker group)' });
  }

  if (!which('tailscale')) checks.push({ name: 'tailscale', status: 'warn', detail: 'tailscale not installed', hint: 'only needed when the instance joins a tailnet (--tailscale)' });
  else {
    const r = await runArgv(['tailscale', 'status', '--json'], 10_000);
    checks.push(tailscaleCheck(parseTailscaleStatus(r.stdout), r.stderr.trim()));
  }

  if (!which('ufw')) checks.push({ name: 'firewall', status: 'warn', detail: 'ufw not installed; firewall rules not checked', hint: 'on a server: apt-get install ufw (the install script configures it)' });
  else {
    const r = await runArgv(['ufw', 'status'], 10_000, 16 * 1024);
    if (r.exitCode === 0) checks.push(ufwCheck(r.stdout));
    else checks.push({ name: 'firewall', status: 'warn', detail: `ufw status failed: ${truncate(r.stderr.trim(), 200)}`, hint: 'run the agent as root to read firewall rules' });
  }

  const health = await ctx.workload.check();
  checks.push(health.healthy ? { name: 'workload', status: 'pass', detail: health.detail } : { name: 'workload', status: 'fail', detail: health.detail, hint: 'hangar logs ID --unit workload; hangar restart ID' });

  for (const p of [join(ctx.stateDir, 'state.json'), join(ctx.stateDir, 'agent.env'), ctx.configPath]) {
    let mode: number | null = null;
    try {
      mode = statSync(p).mode;
    } catch {
      mode = null;
    }
    checks.push(secretFileCheck(p, mode));
  }
  return { ok: true, data: { status: worst(checks), checks } };
}

export async function opLogs(ctx: OpsContext, args: Record<string, unknown>): Promise<OpResult> {
  const lines = clampInt(args.lines, 100, 1, 5000);
  const unit = (['agent', 'bootstrap', 'workload'] as const).find((u) => u === args.unit) ?? 'agent';
  const text = await readFile(ctx.logPath, 'utf8').catch(() => '');
  let out = linesOfUnit(text, unit);
  if (unit === 'bootstrap') {
    const p = bootstrapLogPath();
    const install = existsSync(p) ? tailLines(await readFile(p, 'utf8').catch(() => ''), lines) : [];
    out = [...install, ...out];
  }
  // The answer is one hub frame (HUB_MAX_FRAME_BYTES): the newest lines that fit, and how many did not.
  const wanted = out.slice(-lines);
  const kept = newestWithin(wanted, LOGS_RESULT_MAX_CHARS);
  return { ok: true, data: { unit, lines: kept, ...(kept.length < wanted.length ? { omitted: wanted.length - kept.length } : {}) } };
}

/** Characters of log lines one `logs` answer carries (well inside a hub frame, even JSON-escaped). */
const LOGS_RESULT_MAX_CHARS = HUB_MAX_FRAME_BYTES / 4;

/** The newest of `lines` whose characters add up to at most `max`. */
export function newestWithin(lines: string[], max: number): string[] {
  let size = 0;
  let i = lines.length;
  while (i > 0 && size + lines[i - 1].length + 1 <= max) size += lines[--i].length + 1;
  return lines.slice(i);
}

export async function opSmoke(ctx: OpsContext): Promise<OpResult> {
  const t0 = Date.now();
  if (ctx.plan.smoke?.length) {
    const r = await runArgv(ctx.plan.smoke, 300_000, 16 * 1024);
    const pass = r.exitCode === 0;
    const tail = tailLines(`${r.stdout}${r.stderr}`, 20).join('\n');
    return { ok: true, data: { result: pass ? 'pass' : 'fail', kind: 'smoke', argv: ctx.plan.smoke, detail: r.timedOut ? 'smoke test timed out after 300 s' : `exit ${r.exitCode ?? r.signal}${tail ? `: ${truncate(tail, 2000)}` : ''}`, durationMs: Date.now() - t0 } };
  }
  const h = await ctx.workload.check();
  return { ok: true, data: { result: h.healthy ? 'pass' : 'fail', kind: 'health', detail: h.detail, durationMs: Date.now() - t0 } };
}

/** Whether a supervisor (systemd) will start the agent again after it exits. */
export function supervised(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.INVOCATION_ID || env.HANGAR_SUPERVISED);
}

/** Exit code the supervisor (and the systemd unit, Restart=always) restarts the agent on. */
export { RESTART_EXIT_CODE };

export async function opRestart(ctx: OpsContext, args: Record<string, unknown>): Promise<OpResult> {
  const target = args.target === 'agent' ? 'agent' : 'workload';
  const timeoutMs = clampInt(args.timeoutSeconds, 60, 1, 600) * 1000;
  if (target === 'agent' && supervised()) {
    ctx.log('restart requested by control plane: exiting for the supervisor to restart the agent');
    setTimeout(() => ctx.exitForRestart(), 300).unref();
    return { ok: true, data: { target, restarted: 'agent', detail: `agent exiting with code ${RESTART_EXIT_CODE}; the supervisor restarts it` } };
  }
  const note = target === 'agent' ? 'no supervisor restarts this agent (it was started without one): restarted the workload instead' : null;
  const t0 = Date.now();
  const before = ctx.workload.pid;
  ctx.log(`restarting the workload${note ? ` (${note})` : ''}`);
  ctx.setRestarting(true);
  try {
    await ctx.workload.restart();
    let h = await ctx.workload.check();
    while (!h.healthy && Date.now() - t0 < timeoutMs) {
      await new Promise((r) => setTimeout(r, 250));
      h = await ctx.workload.check();
    }
    const data = { target, restarted: 'workload', healthy: h.healthy, detail: h.detail, pidBefore: before, pidAfter: ctx.workload.pid, durationMs: Date.now() - t0, ...(note ? { note } : {}) };
    if (!h.healthy) return { ok: false, data, error: `workload not healthy ${Math.round(timeoutMs / 1000)} s after restart: ${h.detail}` };
    return { ok: true, data };
  } finally {
    ctx.setRestarting(false);
  }
}

export async function opExec(ctx: OpsContext, args: Record<string, unknown>): Promise<OpResult> {
  if (!ctx.execEnabled()) return { ok: false, error: 'exec is disabled on this agent (enable it per instance with config {"exec": true})' };
  const argv = args.argv;
  if (!Array.isArray(argv) || argv.length === 0 || argv.length > 256 || !argv.every((a) => typeof a === 'string')) return { ok: false, error: 'argv must be a non-empty list of strings' };
  const timeoutMs = clampInt(args.timeoutSeconds, 30, 1, 600) * 1000;
  const r = await runArgv(argv as string[], timeoutMs, 64 * 1024, ctx.stateDir);
  const max = 16 * 1024;
  return { ok: true, data: { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, durationMs: r.durationMs, stdout: truncate(r.stdout, max), stderr: truncate(r.stderr, max) } };
}

/** Dispatch one command; unknown names are refused. */
export async function runOp(ctx: OpsContext, name: string, args: Record<string, unknown> = {}): Promise<OpResult> {
  try {
    switch (name) {
      case 'status':
        return await opStatus(ctx);
      case 'doctor':
        return await opDoctor(ctx, args);
      case 'logs':
        return await opLogs(ctx, args);
      case 'smoke':
        return await opSmoke(ctx);
      case 'restart':
        return await opRestart(ctx, args);
      case 'exec':
        return await opExec(ctx, args);
      default:
        return { ok: false, error: `command ${name} not supported by agent ${ctx.version}` };
    }
  } catch (err) {
    return { ok: false, error: `${name} failed: ${(err as Error).message}` };
  }
}
