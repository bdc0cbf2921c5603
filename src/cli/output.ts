import type { Instance, InstanceEvent, Problem } from '../api/contract/types.ts';

/**
 * Everything the CLI prints goes through here: tables, durations, colors (only on a TTY, never
 * with NO_COLOR), JSON for `--json`.
 */
export interface Colors {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export function colors(enabled: boolean): Colors {
  const wrap = (open: number, close: number) => (s: string) => (enabled && s ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { enabled, bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** Colors only for a TTY, unless NO_COLOR (any non-empty value) or FORCE_COLOR says otherwise. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
export const stripAnsi = (s: string) => s.replace(ANSI, '');

/** Left-aligned columns, two spaces apart, widths by visible text; the last column is not padded. */
export function table(headers: string[], rows: string[][], c: Colors = colors(false)): string {
  const all = [headers.map((h) => c.bold(h)), ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => stripAnsi(r[i] ?? '').length)));
  return all
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - stripAnsi(cell).length))).join('  ').trimEnd())
    .join('\n');
}

/** `key: value` lines with aligned values; null/undefined/empty values are left out. */
export function details(pairs: [string, string | null | undefined][], c: Colors = colors(false)): string {
  const shown = pairs.filter(([, v]) => v !== null && v !== undefined && v !== '') as [string, string][];
  const width = Math.max(0, ...shown.map(([k]) => k.length)) + 1;
  return shown.map(([k, v]) => `${c.dim(`${k}:`.padEnd(width))} ${v.split('\n').join(`\n${' '.repeat(width + 1)}`)}`).join('\n');
}

/** 420 → `0.4s`, 12_300 → `12s`, 125_000 → `2m 05s`, 3_720_000 → `1h 02m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** How long ago, compactly: `45s`, `12m`, `5h`, `3d`. */
export function formatAge(iso: string | Date, now: number = Date.now()): string {
  const s = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The shortest prefix (at least `min`) that tells every id apart. */
export function shortIds(ids: string[], min = 8): Map<string, string> {
  let len = min;
  const unique = (n: number) => new Set(ids.map((id) => id.slice(0, n))).size === new Set(ids).size;
  while (len < 36 && !unique(len)) len++;
  return new Map(ids.map((id) => [id, id.slice(0, len)]));
}

export function statusColor(status: string, c: Colors): (s: string) => string {
  switch (status) {
    case 'running':
    case 'connected':
      return c.green;
    case 'failed':
    case 'timeout':
      return c.red;
    case 'pending':
    case 'provisioning':
    case 'stopping':
    case 'connecting':
      return c.yellow;
    default:
      return c.dim;
  }
}

/**
 * `provisioning (boot)`, `running`, `failed (at enroll)`; an instance torn down after a failure
 * (onFailure=destroy: stopped, with its failure reason) is `failed (torn down)`, not `stopped`.
 *
 * @example
 * statusText({ status: 'stopped', step: null, failureReason: 'agent never connected' }) // → 'failed (torn down)'
 */
export function statusText(i: Pick<Instance, 'status' | 'step'> & { failureReason?: string | null }, c: Colors = colors(false)): string {
  if (i.failureReason && (i.status === 'stopped' || i.status === 'stopping')) return `${c.red('failed')} ${c.dim(i.status === 'stopped' ? '(torn down)' : '(tearing down)')}`;
  const paint = statusColor(i.status, c);
  if (!i.step) return paint(i.status);
  return `${paint(i.status)} ${c.dim(`(${i.status === 'failed' ? 'at ' : ''}${i.step})`)}`;
}

/** One event as a line of text (without its time). */
export function eventText(e: InstanceEvent, c: Colors = colors(false)): string {
  const reason = e.reason ?? '';
  switch (e.kind) {
    case 'transition': {
      const to = e.to ?? '';
      const arrow = e.from && e.from !== to ? `${e.from} → ${statusColor(to, c)(to)}` : statusColor(to, c)(to);
      return `${arrow}${e.step ? ` [${e.step}]` : ''}${reason ? ` ${c.dim(reason)}` : ''}`;
    }
    case 'connection':
      return `connection ${e.from ? `${e.from} → ` : ''}${statusColor(e.to ?? '', c)(e.to ?? '')}${reason ? ` ${c.dim(reason)}` : ''}`;
    case 'warning':
      return c.yellow(`warning: ${reason}`);
    case 'error':
      return c.red(`error: ${reason}${typeof e.data?.code === 'string' ? ` (${e.data.code})` : ''}`);
    case 'log':
      return c.dim(reason);
    default:
      return reason;
  }
}

/** An event's time as `HH:MM:SS.mmm`, local time (`--json` keeps the full RFC 3339 `at`). */
export function eventTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * Problem details as the CLI shows them: `error: <detail>` then each `field: message`, with the
 * flag that set the field when `flags` names one (`provider (--provider): …`).
 */
export function problemLines(p: Pick<Problem, 'detail' | 'title' | 'errors'>, flags: Readonly<Record<string, string>> = {}): string[] {
  const lines = [`error: ${p.detail || p.title}`];
  for (const e of p.errors ?? []) lines.push(`  ${e.field}${flags[e.field] ? ` (${flags[e.field]})` : ''}: ${e.message}`);
  return lines;
}
