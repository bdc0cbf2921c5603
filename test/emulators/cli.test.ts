/** `npm run emulator -- <name> --port N`: the emulators as standalone processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../contract/prism.ts';
import { call } from './test-helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function startCli(args: string[]): { child: ChildProcess; lines: (n: number) => Promise<Record<string, string>[]>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/emulators/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const got: Record<string, string>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      got.push(JSON.parse(l) as Record<string, string>);
    } catch {
      /* not ours */
    }
    for (const w of waiters.splice(0)) w();
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const lines = (n: number) =>
    new Promise<Record<string, string>[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`emulator CLI printed ${got.length}/${n} lines; stderr: ${stderr}`)), 30_000);
      const check = () => {
        if (got.length >= n) {
          clearTimeout(timer);
          resolve(got.slice(0, n));
        } else waiters.push(check);
      };
      check();
      void exit.then(() => got.length < n && reject(new Error(`emulator CLI exited early; stderr: ${stderr}`)));
    });
  return { child, lines, exit };
}

describe('emulator CLI', () => {
  it('serves one emulator on the given port until SIGTERM, with faults and rate limit from flags', async () => {
    const port = await freePort();
    const cli = startCli(['hetzner', '--port', String(port), '--no-boot', '--token', 'cli-token', '--rate-limit', '5/1', '--faults', '{"latencyMs":1}']);
    try {
      const [info] = await cli.lines(1);
      expect(info).toEqual({ emulator: 'hetzner', url: `http://127.0.0.1:${port}`, baseUrl: `http://127.0.0.1:${port}/v1`, token: 'cli-token' });
      const r = await call(info.baseUrl, 'cli-token', 'GET', '/locations');
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit-limit')).toBe('5');
      expect((await call(info.url, null, 'GET', '/_emulator/faults')).body.latencyMs).toBe(1);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exit).toBe(0);
  });

  it('"all" starts hetzner, digitalocean and tailscale on consecutive ports', async () => {
    const cli = startCli(['all', '--no-boot']);
    try {
      const lines = await cli.lines(3);
      expect(lines.map((l) => l.emulator)).toEqual(['hetzner', 'digitalocean', 'tailscale']);
      expect(lines.map((l) => new URL(l.baseUrl).pathname)).toEqual(['/v1', '/v2', '/api/v2']);
      expect((await call(lines[1].url, lines[1].token, 'GET', '/v2/sizes')).status).toBe(200);
      expect((await call(lines[2].baseUrl, lines[2].token, 'GET', '/tailnet/-/devices')).status).toBe(200);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exit).toBe(0);
  });

  it('exits 2 with usage on a bad invocation', async () => {
    const cli = startCli(['nimbus']);
    expect(await cli.exit).toBe(2);
  });
});
