/**
 * Run the emulators standalone:
 *
 *   npm run emulator -- all                    # hetzner 4010, digital-ocean 4011, tailscale 4012
 *   npm run emulator -- hetzner                # 4010 (digital-ocean 4011, tailscale 4012)
 *   npm run emulator -- all --port 5010        # 5010, 5011, 5012 (or HANGAR_EMULATOR_PORT=5010)
 *   npm run emulator -- all --port 0           # any free ports
 *
 * Prints one JSON line per emulator ({ emulator, url, baseUrl, token }) once it listens, then one
 * `export …` line that points a Hangar at them (base URLs, fake tokens, HANGAR_ALLOWED_ENDPOINTS),
 * and serves until SIGINT/SIGTERM. Control endpoints live under /_emulator/ on each.
 */
import { parseArgs } from 'node:util';
import { createAgentBoot } from './boot.ts';
import { DEFAULT_PORTS, emulatorPorts, exportLine, PORT_ENV, type EmulatorKind } from './cli-options.ts';
import type { EmulatorControls, FaultConfig, RateLimitSpec } from './common.ts';
import { startDigitalOceanEmulator } from './digitalocean.ts';
import { startHetznerEmulator } from './hetzner.ts';
import { startTailscaleEmulator, type TailscaleEmulator } from './tailscale.ts';

const USAGE = `usage: cli.ts <hetzner|digital-ocean|tailscale|all> [options]
  --port N              port (env ${PORT_ENV}; with "all": N, N+1, N+2; 0: any free ports);
                        default hetzner ${DEFAULT_PORTS.hetzner}, digital-ocean ${DEFAULT_PORTS['digital-ocean']}, tailscale ${DEFAULT_PORTS.tailscale}
  --host H              bind address (default 127.0.0.1)
  --token T             accepted bearer token (repeatable; "*" accepts any)
  --seed N              fault RNG seed
  --faults JSON         fault settings, e.g. '{"errorRate":0.1}'
  --rate-limit C/R      bucket capacity C refilled at R per second; "off" disables
  --action-delay MS     how long actions run (default 100)
  --boot-delay MS       create → running (default 200)
  --no-boot             do not start agents for booted servers
  --agent-bundle PATH   agent bundle to run (default: build agent/dist/agent.mjs)
  --tailnet NAME        Tailscale tailnet name (default example.com)
  --oauth-client ID:SECRET  Tailscale OAuth client (repeatable)
  --tailscale-url URL   booted agents join this Tailscale emulator with their enrollment's
                        auth key (with "all": the one started alongside)`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string', multiple: true },
      seed: { type: 'string' },
      faults: { type: 'string' },
      'rate-limit': { type: 'string' },
      'action-delay': { type: 'string' },
      'boot-delay': { type: 'string' },
      'no-boot': { type: 'boolean' },
      'agent-bundle': { type: 'string' },
      tailnet: { type: 'string' },
      'oauth-client': { type: 'string', multiple: true },
      'tailscale-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
try {
  parsed = parse();
} catch (e) {
  fail((e as Error).message);
}
const { values: v, positionals } = parsed;
if (v.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const which = positionals[0];
const aliases: Record<string, string> = { hetzner: 'hetzner', hcloud: 'hetzner', 'digital-ocean': 'digital-ocean', digitalocean: 'digital-ocean', do: 'digital-ocean', tailscale: 'tailscale', ts: 'tailscale', all: 'all' };
const kind = which ? aliases[which] : undefined;
if (!kind) fail(which ? `unknown emulator "${which}"` : 'which emulator?');

const num = (s: string | undefined, name: string): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) fail(`--${name} must be a number`);
  return n;
};
let ports: Partial<Record<EmulatorKind, number>> = {};
try {
  ports = emulatorPorts(kind as EmulatorKind | 'all', v.port, process.env);
} catch (e) {
  fail((e as Error).message);
}
let faults: Partial<FaultConfig> | undefined;
if (v.faults) {
  try {
    faults = JSON.parse(v.faults) as Partial<FaultConfig>;
  } catch {
    fail('--faults must be JSON');
  }
}
let rateLimit: RateLimitSpec | false | undefined;
if (v['rate-limit'] === 'off') rateLimit = false;
else if (v['rate-limit']) {
  const [c, r] = v['rate-limit'].split('/').map(Number);
  if (!Number.isFinite(c) || !Number.isFinite(r)) fail('--rate-limit must be C/R or off');
  rateLimit = { capacity: c, refillPerSecond: r };
}
const tokens: string[] | '*' | undefined = v.token?.includes('*') ? '*' : v.token;
const common = {
  host: v.host,
  tokens,
  seed: num(v.seed, 'seed'),
  faults,
  ...(rateLimit !== undefined ? { rateLimit } : {}),
};
const started: { name: EmulatorKind; handle: EmulatorControls }[] = [];
let starting: EmulatorKind = 'tailscale';
try {
  // Tailscale first, so the clouds' booted agents can join it.
  let tailnet: TailscaleEmulator | string | undefined = v['tailscale-url'];
  if (kind === 'tailscale' || kind === 'all') {
    const oauthClients = v['oauth-client']?.map((s) => {
      const i = s.indexOf(':');
      if (i < 1) fail('--oauth-client must be ID:SECRET');
      return { id: s.slice(0, i), secret: s.slice(i + 1) };
    });
    starting = 'tailscale';
    const ts = await startTailscaleEmulator({ ...common, port: ports.tailscale, tailnet: v.tailnet, oauthClients });
    started.push({ name: 'tailscale', handle: ts });
    tailnet ??= ts;
  }
  const cloud = {
    ...common,
    actionDelayMs: num(v['action-delay'], 'action-delay'),
    bootDelayMs: num(v['boot-delay'], 'boot-delay'),
    boot: v['no-boot'] ? (false as const) : createAgentBoot({ agentBundlePath: v['agent-bundle'], tailnet }),
  };
  starting = 'hetzner';
  if (kind === 'hetzner' || kind === 'all') started.unshift({ name: 'hetzner', handle: await startHetznerEmulator({ ...cloud, port: ports.hetzner }) });
  starting = 'digital-ocean';
  if (kind === 'digital-ocean' || kind === 'all') started.splice(kind === 'all' ? 1 : 0, 0, { name: 'digital-ocean', handle: await startDigitalOceanEmulator({ ...cloud, port: ports['digital-ocean'] }) });
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  const inUse = err.code === 'EADDRINUSE' ? ` (is another emulator running?); choose others with --port N or ${PORT_ENV}=N (with "all": N, N+1, N+2), or --port 0 for any free ones` : '';
  process.stderr.write(`emulator: ${starting}: ${err.message}${inUse}\n`);
  for (const s of started) await s.handle.stop();
  process.exit(1);
}
for (const { name, handle } of started) process.stdout.write(`${JSON.stringify({ emulator: name, url: handle.url, baseUrl: handle.baseUrl, token: handle.token })}\n`);
process.stderr.write('# Point Hangar at these emulators: paste this line into the shell that runs `npm start`:\n');
process.stdout.write(`${exportLine(started.map(({ name, handle }) => ({ name, baseUrl: handle.baseUrl, token: handle.token })), v.host ?? '127.0.0.1')}\n`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all(started.map((s) => s.handle.stop()));
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
