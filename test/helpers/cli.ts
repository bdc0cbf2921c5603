import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/hangar.js');

/** Where and as whom the CLI talks: a test Hangar's URL and key; its data dir holds the CLI config. */
export interface CliTarget {
  url: string;
  apiKey: string;
  dataDir: string;
  /** More environment for the CLI (e.g. HANGAR_IDEMPOTENCY_KEY). */
  env?: Record<string, string>;
}

const cliEnv = (t: CliTarget) => ({ PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: t.dataDir, HANGAR_URL: t.url, HANGAR_API_KEY: t.apiKey, NO_COLOR: '1', ...t.env });

/**
 * Run the real `hangar` binary (no TTY, no colors) and collect its exit code and output.
 *
 * @example
 * const s = await runCli(h, ['status', id]); // { code: 0, stdout: 'id: …', stderr: '' }
 */
export async function runCli(t: CliTarget, args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: cliEnv(t), timeout: timeoutMs });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Start the `hangar` binary for a long-running command (`logs --follow`); the caller ends it. */
export function spawnCli(t: CliTarget, args: string[]): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(t), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

/**
 * Run the `hangar` binary with its stdout on a real pipe, as `hangar … | head -1` does: once the
 * first line has arrived the reading end is closed, then `afterFirstLine` runs (to make the CLI
 * write again, e.g. by causing an event it follows). Resolves with the exit code, the first line
 * and stderr once the process has exited.
 *
 * @example
 * const r = await cliIntoHead(h, ['events', id]); // { code: 0, firstLine: '…', stderr: '' }
 */
export function cliIntoHead(t: CliTarget, args: string[], afterFirstLine: () => Promise<unknown> = async () => {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; firstLine: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(t), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let head = '';
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const first = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      if (closed) return;
      head += d.toString();
      if (!head.includes('\n')) return;
      closed = true;
      child.stdout.destroy(); // the reader goes away, as head does after its line
      resolve();
    });
    void exited.then(() => resolve());
  });
  return first
    .then(() => (closed ? afterFirstLine() : undefined))
    .then(() => exited)
    .then(({ code, signal }) => new Promise<void>((r) => (child.stderr.readableEnded ? r() : child.stderr.once('end', () => r()))).then(() => ({ code, signal, firstLine: head.split('\n')[0], stderr })));
}
