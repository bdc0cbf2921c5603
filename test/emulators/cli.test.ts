/** `npm run emulator -- <name> --port N`: the emulators as standalone processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resetGovernors } from '../../src/http/governor.ts';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import { freePort } from '../contract/prism.ts';
import { DEFAULT_PORTS, emulatorPorts, exportLine, parseExportLine } from './cli-options.ts';
import { call } from './test-helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

afterEach(() => resetGovernors());

function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; lines: (n: number) => Promise<Record<string, string>[]>; exportLine: () => Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/emulators/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HANGAR_EMULATOR_PORT: '', ...env } });
  const got: Record<string, string>[] = [];
  let exported: string | null = null;
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (l.startsWith('export ')) exported = l;
    else {
      try {
        got.push(JSON.parse(l) as Record<string, string>);
      } catch {
        /* not ours */
      }
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
  const exportLine = () =>
    new Promise<string>((resolve, reject) => {
      const check = () => (exported !== null ? resolve(exported) : waiters.push(check));
      check();
      void exit.then(() => exported === null && reject(new Error(`emulator CLI printed no export line; stderr: ${stderr}`)));
    });
  return { child, lines, exportLine, exit };
}

/** A port N such that N, N+1 and N+2 are free on loopback now. */
async function threeFreePorts(): Promise<number> {
  const listen = (port: number) => new Promise<Server | null>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
  for (;;) {
    const base = await freePort();
    if (base > 65533) continue;
    const held = await Promise.all([base, base + 1, base + 2].map(listen));
    await Promise.all(held.map((s) => s && new Promise((r) => s.close(r))));
    if (held.every(Boolean)) return base;
  }
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

  it('"all" starts hetzner, digital-ocean and tailscale on consecutive ports (HANGAR_EMULATOR_PORT), and prints an export line Hangar works with as pasted', async () => {
    const base = await threeFreePorts();
    const cli = startCli(['all', '--no-boot'], { HANGAR_EMULATOR_PORT: String(base) });
    try {
      const lines = await cli.lines(3);
      expect(lines.map((l) => l.emulator)).toEqual(['hetzner', 'digital-ocean', 'tailscale']);
      expect(lines.map((l) => l.url)).toEqual([0, 1, 2].map((i) => `http://127.0.0.1:${base + i}`));
      expect(lines.map((l) => new URL(l.baseUrl).pathname)).toEqual(['/v1', '/v2', '/api/v2']);
      expect((await call(lines[1].url, lines[1].token, 'GET', '/v2/sizes')).status).toBe(200);
      expect((await call(lines[2].baseUrl, lines[2].token, 'GET', '/tailnet/-/devices')).status).toBe(200);

      // The export line, as a shell that pasted it has it: Hangar's registry builds all three
      // from it (the base URLs as printed, /v2 and all), and each answers.
      const env = parseExportLine(await cli.exportLine());
      expect(env).toEqual({
        HCLOUD_ENDPOINT: lines[0].baseUrl,
        HCLOUD_TOKEN: 'test-token',
        DIGITALOCEAN_API_URL: lines[1].baseUrl,
        DIGITALOCEAN_TOKEN: 'test-token',
        TAILSCALE_BASE_URL: lines[2].baseUrl,
        TAILSCALE_API_KEY: 'tskey-api-test',
        HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*',
      });
      const reg = providersFromEnv(env);
      expect(reg.warnings).toEqual([]);
      expect(reg.providers.map((p) => p.name)).toEqual(['hetzner', 'digital-ocean']);
      for (const p of reg.providers) expect((await p.listLocations()).length, p.name).toBeGreaterThan(0);
      expect(await reg.tailscale!.findDeviceByHostname('nobody')).toBeNull();
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exit).toBe(0);
  });

  it('says which port is taken and how to choose others', async () => {
    const port = await freePort();
    const taken = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    try {
      const cli = startCli(['tailscale', '--port', String(port)]);
      let stderr = '';
      cli.child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      expect(await cli.exit).toBe(1);
      expect(stderr).toMatch(/tailscale: .*EADDRINUSE.*--port N or HANGAR_EMULATOR_PORT=N.*--port 0/);
    } finally {
      taken.close();
    }
  });

  it('exits 2 with usage on a bad invocation', async () => {
    const cli = startCli(['nimbus']);
    expect(await cli.exit).toBe(2);
  });
});

describe('emulator CLI options', () => {
  it('fixed default ports, moved by --port or HANGAR_EMULATOR_PORT (the flag wins); 0 for any free ones', () => {
    expect(DEFAULT_PORTS).toEqual({ hetzner: 4010, 'digital-ocean': 4011, tailscale: 4012 });
    expect(emulatorPorts('all', undefined, {})).toEqual({ hetzner: 4010, 'digital-ocean': 4011, tailscale: 4012 });
    expect(emulatorPorts('digital-ocean', undefined, {})).toEqual({ 'digital-ocean': 4011 });
    expect(emulatorPorts('all', undefined, { HANGAR_EMULATOR_PORT: '5010' })).toEqual({ hetzner: 5010, 'digital-ocean': 5011, tailscale: 5012 });
    expect(emulatorPorts('hetzner', '6000', { HANGAR_EMULATOR_PORT: '5010' })).toEqual({ hetzner: 6000 });
    expect(emulatorPorts('all', '0', {})).toEqual({ hetzner: 0, 'digital-ocean': 0, tailscale: 0 });
    expect(emulatorPorts('tailscale', undefined, { HANGAR_EMULATOR_PORT: ' ' })).toEqual({ tailscale: 4012 });
    expect(() => emulatorPorts('all', '65534', {})).toThrow('--port must be a port from 0 to 65533, got "65534"');
    expect(() => emulatorPorts('hetzner', undefined, { HANGAR_EMULATOR_PORT: 'x' })).toThrow(/^HANGAR_EMULATOR_PORT must be/);
    expect(() => emulatorPorts('hetzner', '-1', {})).toThrow(/--port/);
  });

  it('the export line quotes what a shell would expand, and reads back as it was', () => {
    const line = exportLine([{ name: 'tailscale', baseUrl: 'http://127.0.0.1:4012/api/v2', token: "it's" }, { name: 'hetzner', baseUrl: 'http://127.0.0.1:4010/v1', token: 'test-token' }]);
    expect(line).toBe(`export HCLOUD_ENDPOINT=http://127.0.0.1:4010/v1 HCLOUD_TOKEN=test-token TAILSCALE_BASE_URL=http://127.0.0.1:4012/api/v2 TAILSCALE_API_KEY='it'\\''s' HANGAR_ALLOWED_ENDPOINTS='http://127.0.0.1:*'`);
    expect(parseExportLine(line)).toMatchObject({ TAILSCALE_API_KEY: "it's", HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' });
    expect(exportLine([], '::1')).toBe("export HANGAR_ALLOWED_ENDPOINTS='http://[::1]:*'");
  });
});
