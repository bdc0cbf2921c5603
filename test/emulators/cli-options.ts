/**
 * The pure parts of the emulator CLI (test/emulators/cli.ts): which port each emulator listens
 * on, and the `export` line that points a Hangar at the ones started.
 *
 * | emulator      | default port | base URL printed                 | token printed            |
 * | ------------- | ------------ | -------------------------------- | ------------------------ |
 * | hetzner       | 4010         | `http://127.0.0.1:4010/v1`       | `HCLOUD_TOKEN`           |
 * | digital-ocean | 4011         | `http://127.0.0.1:4011/v2`       | `DIGITALOCEAN_TOKEN`     |
 * | tailscale     | 4012         | `http://127.0.0.1:4012/api/v2`   | `TAILSCALE_API_KEY`      |
 *
 * `--port N` (or `HANGAR_EMULATOR_PORT=N`) moves them: one emulator on N; `all` on N, N+1, N+2.
 * `--port 0` takes any free ports (what tests do).
 */

export type EmulatorKind = 'hetzner' | 'digital-ocean' | 'tailscale';

/** Where each emulator listens unless told otherwise (the same whether started alone or with `all`). */
export const DEFAULT_PORTS: Readonly<Record<EmulatorKind, number>> = { hetzner: 4010, 'digital-ocean': 4011, tailscale: 4012 };

/** The variable that moves the ports like `--port` does (the flag wins). */
export const PORT_ENV = 'HANGAR_EMULATOR_PORT';

const ORDER: readonly EmulatorKind[] = ['hetzner', 'digital-ocean', 'tailscale'];

/**
 * The port of each emulator of `which` (`all` or one), from `--port` or {@link PORT_ENV}, else
 * {@link DEFAULT_PORTS}. Throws on a port that is not an integer from 0 to 65535.
 *
 * @example
 * emulatorPorts('all', undefined, {})     // → { hetzner: 4010, 'digital-ocean': 4011, tailscale: 4012 }
 * emulatorPorts('all', '5000', {})        // → { hetzner: 5000, 'digital-ocean': 5001, tailscale: 5002 }
 * emulatorPorts('tailscale', '0', {})     // → { tailscale: 0 }
 */
export function emulatorPorts(which: EmulatorKind | 'all', flag: string | undefined, env: Record<string, string | undefined>): Partial<Record<EmulatorKind, number>> {
  const raw = flag ?? (env[PORT_ENV]?.trim() || undefined);
  const kinds = which === 'all' ? ORDER : [which];
  if (raw === undefined) return Object.fromEntries(kinds.map((k) => [k, DEFAULT_PORTS[k]]));
  const base = Number(raw);
  const last = base + kinds.length - 1;
  if (!/^\d+$/.test(raw) || last > 65535) throw new Error(`${flag !== undefined ? '--port' : PORT_ENV} must be a port from 0 to ${65536 - kinds.length}, got "${raw}"`);
  return Object.fromEntries(kinds.map((k, i) => [k, base === 0 ? 0 : base + i]));
}

/** What an emulator that listens tells about itself. */
export interface Started {
  name: EmulatorKind;
  baseUrl: string;
  token: string;
}

const VARIABLES: Record<EmulatorKind, [url: string, token: string]> = {
  hetzner: ['HCLOUD_ENDPOINT', 'HCLOUD_TOKEN'],
  'digital-ocean': ['DIGITALOCEAN_API_URL', 'DIGITALOCEAN_TOKEN'],
  tailscale: ['TAILSCALE_BASE_URL', 'TAILSCALE_API_KEY'],
};

/** A value as one shell word (single-quoted unless it is plain). */
const shellWord = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/**
 * One `export` line, paste-ready in bash or zsh, that points a Hangar started from that shell at
 * the emulators: each one's base URL and fake token, and `HANGAR_ALLOWED_ENDPOINTS` for their
 * plain-http origin.
 *
 * @example
 * exportLine([{ name: 'hetzner', baseUrl: 'http://127.0.0.1:4010/v1', token: 'test-token' }], '127.0.0.1')
 * // → "export HCLOUD_ENDPOINT=http://127.0.0.1:4010/v1 HCLOUD_TOKEN=test-token HANGAR_ALLOWED_ENDPOINTS='http://127.0.0.1:*'"
 */
export function exportLine(started: readonly Started[], host = '127.0.0.1'): string {
  const pairs: [string, string][] = [];
  for (const s of [...started].sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name))) {
    const [url, token] = VARIABLES[s.name];
    pairs.push([url, s.baseUrl], [token, s.token]);
  }
  const origin = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  pairs.push(['HANGAR_ALLOWED_ENDPOINTS', `http://${origin}:*`]);
  return `export ${pairs.map(([k, v]) => `${k}=${shellWord(v)}`).join(' ')}`;
}

/**
 * The `export …` line read back into variables (for tests: what a shell that pasted it has).
 *
 * @example
 * parseExportLine("export A=b C='d:*'") // → { A: 'b', C: 'd:*' }
 */
export function parseExportLine(line: string): Record<string, string> {
  if (!line.startsWith('export ')) throw new Error(`not an export line: ${line}`);
  const env: Record<string, string> = {};
  for (const m of line.slice('export '.length).matchAll(/(\w+)=('(?:[^']|'\\'')*'|\S+)/g)) {
    env[m[1]] = m[2].startsWith("'") ? m[2].slice(1, -1).replace(/'\\''/g, "'") : m[2];
  }
  return env;
}
