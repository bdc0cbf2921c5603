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
}

const cliEnv = (t: CliTarget) => ({ PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: t.dataDir, HANGAR_URL: t.url, HANGAR_API_KEY: t.apiKey, NO_COLOR: '1' });

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
