import { renderEnvFile } from './env-file.ts';
import type { SettingsSchema } from './settings-schema.ts';
import { OPENCLAW_GATEWAY_UNIT, OPENCLAW_INSTALL_UNIT, renderOpenclawUnits } from './systemd.ts';
import type { WorkloadInput, WorkloadPlan } from './types.ts';
import { SettingsReader, defaultRandomBytes, envNameOf, generateSecret, type RandomBytes } from './workload-config.ts';

/**
 * The `openclaw` workload (seed 000): the OpenClaw gateway installed from npm under its own
 * `nologin` user (created by the install script), run as a systemd service bound to loopback
 * with token auth, and published on the tailnet with `tailscale serve` (HTTPS 443 → loopback).
 *
 * Settings (`config`):
 * - `version`: npm version or dist-tag of `openclaw` (default `latest`)
 * - `port`: gateway port on 127.0.0.1 (default 18789)
 * - `servePort`: tailnet HTTPS port, 443, 8443 or 10000 (default 443)
 * - `gatewayToken` (secret): the gateway's auth token; generated when absent
 * - any other setting (`anthropicApiKey`, `openaiApiKey`, `telegramBotToken`, …) is a secret
 *   passed to the gateway as its upper-snake-case env name (`ANTHROPIC_API_KEY`, …)
 */

/** The openclaw settings: unknown string settings are secret env values for the gateway. */
export const OPENCLAW_SETTINGS: SettingsSchema = {
  kind: 'openclaw',
  fields: {
    version: { type: 'string' },
    port: { type: 'int' },
    servePort: { type: 'int' },
    gatewayToken: { type: 'string', secret: true },
  },
  extra: 'env',
};

const OPENCLAW_HOME = '/var/lib/openclaw';
const OPENCLAW_NPM_PREFIX = `${OPENCLAW_HOME}/.npm-global`;
const OPENCLAW_ENV_PATH = '/etc/openclaw/gateway.env';
export const OPENCLAW_DEFAULT_PORT = 18789;

const RE_NPM_VERSION = /^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$/;
/** Env names the gateway sets itself or Hangar must own. */
const RESERVED_ENV = new Set(['HOME', 'NODE_ENV', 'PATH', 'OPENCLAW_GATEWAY_PORT', 'OPENCLAW_GATEWAY_PASSWORD']);

/**
 * Render the openclaw plan. Throws ValidationError naming `config.<field>` on bad settings.
 *
 * @example
 * renderOpenclawWorkload(row, { anthropicApiKey: 'sk-…' }).health // → { type: 'systemd', unit: 'openclaw-gateway.service' }
 */
export function renderOpenclawWorkload(input: WorkloadInput, secrets: Record<string, string>, random: RandomBytes = defaultRandomBytes): WorkloadPlan {
  const r = new SettingsReader('openclaw', input.workloadConfig, secrets);
  const version = r.string('version', { default: 'latest', pattern: RE_NPM_VERSION, hint: 'must be an npm version or dist-tag, e.g. latest or 2026.9.3' });
  const port = r.int('port', { default: OPENCLAW_DEFAULT_PORT, min: 1024, max: 65535 });
  const servePort = r.int('servePort', { default: 443, min: 1, max: 65535 });
  if (![443, 8443, 10000].includes(servePort)) r.error('servePort', 'must be 443, 8443 or 10000 (the HTTPS ports tailscale serve offers)');
  const token = r.string('gatewayToken', { min: 16, max: 512 }) ?? generateSecret(random);
  const env: [string, string, string][] = [['OPENCLAW_GATEWAY_TOKEN', token, r.field('gatewayToken')]];
  for (const name of r.unreadSecrets()) {
    const value = r.string(name, { max: 8192 });
    const envName = envNameOf(name);
    if (RESERVED_ENV.has(envName) || envName === 'OPENCLAW_GATEWAY_TOKEN') r.error(name, `would set ${envName}, which Hangar manages`);
    else if (value !== undefined) env.push([envName, value, r.field(name)]);
  }
  r.finish();

  const units = renderOpenclawUnits({ version, port, home: OPENCLAW_HOME, npmPrefix: OPENCLAW_NPM_PREFIX, envFile: OPENCLAW_ENV_PATH });
  const serve = input.tailscale
    ? {
        start: [['tailscale', 'serve', '--bg', `--https=${servePort}`, `http://127.0.0.1:${port}`]],
        stop: [['tailscale', 'serve', `--https=${servePort}`, 'off']],
      }
    : { start: [], stop: [] };
  return {
    kind: 'openclaw',
    files: [
      { path: OPENCLAW_ENV_PATH, content: renderEnvFile(env, 'Managed by Hangar: OpenClaw gateway secrets.'), mode: '0600', owner: 'root:root' },
      ...units.map((u) => ({ path: `/etc/systemd/system/${u.name}`, content: u.content, mode: '0644', owner: 'root:root' })),
    ],
    start: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'start', OPENCLAW_INSTALL_UNIT],
      ['systemctl', 'enable', OPENCLAW_GATEWAY_UNIT],
      ['systemctl', 'restart', OPENCLAW_GATEWAY_UNIT],
      ...serve.start,
    ],
    stop: [...serve.stop, ['systemctl', 'disable', '--now', OPENCLAW_GATEWAY_UNIT]],
    health: { type: 'systemd', unit: OPENCLAW_GATEWAY_UNIT },
    smoke: ['curl', '-fsS', '-o', '/dev/null', '--max-time', '10', `http://127.0.0.1:${port}/`],
  };
}
