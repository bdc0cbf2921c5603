/**
 * The workload's activity for the heartbeat (`activity`, validated by src/hub/messages.ts and
 * judged by src/domain/lifetimes.ts for idle stop): CPU of the supervised process and its
 * descendants from /proc/<pid>/stat, and their established TCP connections from
 * /proc/<pid>/net/tcp{,6} matched by socket inode; for a compose stack, `docker stats` CPU and
 * network bytes of its containers (nothing when docker is absent).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { HealthCheck } from '../src/domain/agent-contract.ts';
import type { ActivityReport } from '../src/domain/lifetimes.ts';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux the agent runs on). */
export const CLK_TCK = 100;

/** A process as /proc/<pid>/stat describes it: parent, and CPU ticks (user + system) used. */
export interface ProcStat {
  pid: number;
  ppid: number;
  ticks: number;
}

/**
 * Parse /proc/<pid>/stat. The command name (2nd field) may hold spaces and parentheses, so the
 * fields are counted after its last `)`.
 *
 * @example
 * parseStat('42 (node x) S 1 42 42 0 -1 4194560 1 0 0 0 150 30 0 0 20 0 11 0 5 0 0') // → { pid: 42, ppid: 1, ticks: 180 }
 */
export function parseStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const pid = Number.parseInt(text, 10);
  const f = text.slice(close + 2).trim().split(/\s+/);
  // After the name: state(0) ppid(1) … utime(11) stime(12).
  const ppid = Number(f[1]);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid) || !Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { pid, ppid, ticks: utime + stime };
}

/**
 * Socket inodes of the ESTABLISHED (state 01) connections in a /proc/net/tcp or tcp6 table.
 *
 * @example
 * established(readFileSync('/proc/self/net/tcp', 'utf8')) // → Set { 123456, … }
 */
export function established(table: string): Set<number> {
  const out = new Set<number>();
  for (const line of table.split('\n').slice(1)) {
    const c = line.trim().split(/\s+/);
    if (c.length < 10 || c[3] !== '01') continue;
    const inode = Number(c[9]);
    if (inode > 0) out.add(inode);
  }
  return out;
}

/** The inode of an fd link like `socket:[123456]`, or null for anything else. */
export function socketInode(link: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/** `pid` and every descendant of it, from each process's stat (a process gone meanwhile is skipped). */
export async function processTree(pid: number, proc = '/proc'): Promise<ProcStat[]> {
  const stats: ProcStat[] = [];
  for (const name of await readdir(proc).catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const s = await readFile(`${proc}/${name}/stat`, 'utf8').then(parseStat, () => null);
    if (s) stats.push(s);
  }
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === pid);
  if (!root) return [];
  const out: ProcStat[] = [];
  const queue = [root];
  while (queue.length) {
    const s = queue.shift()!;
    out.push(s);
    queue.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

/** Established TCP connections held by the processes `pids` (their open sockets, by inode). */
export async function connectionsOf(pids: number[], proc = '/proc'): Promise<number> {
  if (!pids.length) return 0;
  const inodes = new Set<number>();
  for (const pid of pids) {
    for (const fd of await readdir(`${proc}/${pid}/fd`).catch(() => [] as string[])) {
      const ino = socketInode(await readlink(`${proc}/${pid}/fd/${fd}`).catch(() => ''));
      if (ino !== null) inodes.add(ino);
    }
  }
  // The tables of the workload's own network namespace.
  let n = 0;
  for (const t of ['tcp', 'tcp6']) {
    const table = await readFile(`${proc}/${pids[0]}/net/${t}`, 'utf8').catch(() => '');
    for (const ino of established(table)) if (inodes.has(ino)) n++;
  }
  return n;
}

/**
 * Bytes of a docker size (`1.5kB`, `3.2MiB`, `0B`): decimal and binary units.
 *
 * @example
 * dockerBytes('1.5kB') // → 1500
 */
export function dockerBytes(s: string): number {
  const m = /^([\d.]+)\s*([kKMGT]?i?)B$/.exec(s.trim());
  if (!m) return 0;
  const unit = m[2].toUpperCase();
  const pow = { '': 0, K: 1, M: 2, G: 3, T: 4 }[unit.replace('I', '')] ?? 0;
  return Math.round(Number(m[1]) * (unit.endsWith('I') ? 1024 : 1000) ** pow);
}

/**
 * CPU percent and total network bytes (in + out) of `docker stats --no-stream --format json` lines.
 *
 * @example
 * parseDockerStats('{"CPUPerc":"1.50%","NetIO":"1kB / 2kB"}') // → { cpuPercent: 1.5, netBytes: 3000 }
 */
export function parseDockerStats(out: string): { cpuPercent: number; netBytes: number } {
  let cpuPercent = 0;
  let netBytes = 0;
  for (const line of out.split('\n').filter((l) => l.trim())) {
    try {
      const j = JSON.parse(line) as { CPUPerc?: string; NetIO?: string };
      cpuPercent += Number.parseFloat(j.CPUPerc ?? '0') || 0;
      for (const part of (j.NetIO ?? '').split('/')) netBytes += dockerBytes(part);
    } catch {
      // not a stats line
    }
  }
  return { cpuPercent: Math.round(cpuPercent * 100) / 100, netBytes };
}

/** What the sampler needs of the workload: its supervised pid and its health check. */
export interface ActivitySource {
  readonly pid: number | null;
  readonly health: HealthCheck;
}

/**
 * Samples a workload's activity once a heartbeat: CPU over the interval since the last sample
 * (the first sample reports connections only), connections now; compose: docker's CPU and the
 * network bytes moved since the last sample.
 *
 * @example
 * const s = new ActivitySampler(() => workload);
 * send({ type: 'heartbeat', activity: await s.sample() });
 */
export class ActivitySampler {
  private last: { at: number; ticks: number; pid: number } | null = null;
  private lastNet: number | null = null;

  constructor(
    private readonly source: () => ActivitySource,
    private readonly opts: { proc?: string; run?: (argv: string[]) => Promise<string> } = {},
  ) {}

  async sample(now = Date.now()): Promise<ActivityReport | undefined> {
    const w = this.source();
    try {
      if (w.health.type === 'compose') return await this.compose(w.health);
      const pid = w.pid ?? (w.health.type === 'systemd' ? await this.mainPid(w.health.unit) : null);
      if (!pid) return undefined;
      return await this.processTree(pid, now);
    } catch {
      return undefined; // no report rather than a wrong one
    }
  }

  private async processTree(pid: number, now: number): Promise<ActivityReport | undefined> {
    const proc = this.opts.proc ?? '/proc';
    const tree = await processTree(pid, proc);
    if (!tree.length) return undefined;
    const ticks = tree.reduce((a, s) => a + s.ticks, 0);
    const connections = await connectionsOf(tree.map((s) => s.pid), proc);
    const prev = this.last;
    this.last = { at: now, ticks, pid };
    if (!prev || prev.pid !== pid || now <= prev.at || ticks < prev.ticks) return { connections };
    const cpuPercent = ((ticks - prev.ticks) / CLK_TCK / ((now - prev.at) / 1000)) * 100;
    return { cpuPercent: Math.round(cpuPercent * 100) / 100, connections };
  }

  private async mainPid(unit: string): Promise<number | null> {
    const out = await this.run(['systemctl', 'show', '-p', 'MainPID', '--value', unit]);
    const pid = Number(out.trim());
    return pid > 0 ? pid : null;
  }

  private async compose(h: Extract<HealthCheck, { type: 'compose' }>): Promise<ActivityReport | undefined> {
    const ids = (await this.run(['docker', 'compose', ...(h.project ? ['-p', h.project] : []), '-f', h.file, 'ps', '-q'])).split('\n').filter(Boolean);
    if (!ids.length) return undefined;
    const { cpuPercent, netBytes } = parseDockerStats(await this.run(['docker', 'stats', '--no-stream', '--format', '{{json .}}', ...ids]));
    const prev = this.lastNet;
    this.lastNet = netBytes;
    return { cpuPercent, ...(prev !== null && netBytes >= prev ? { networkBytes: netBytes - prev } : {}) };
  }

  private run(argv: string[]): Promise<string> {
    return (this.opts.run ?? capture)(argv);
  }
}

function capture(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    child.stdout.on('data', (d: Buffer) => (s += d.toString()));
    child.on('error', reject); // not installed: no report
    child.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`${argv[0]} exited ${code}`))));
  });
}
