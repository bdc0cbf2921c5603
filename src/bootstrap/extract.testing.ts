import { parse } from 'yaml';
import { SNAPSHOT_BUILD_ENV_PATH } from './cloud-init.ts';
import { BOOTSTRAP_PATH, type BootstrapConfig } from './types.ts';

/**
 * Find the agent's bootstrap config inside rendered cloud-init user-data, exactly as a booting
 * server's cloud-init would write it. Test code only: the cloud emulators boot their servers from
 * it (so the agent they start gets only what a real server would), and the renderer tests check
 * the round trip. Providers never read user-data back: they get `ServerSpec.bootstrap`.
 *
 * @example
 * extractBootstrap(renderUserData(input)).token // → 'hgb_…'
 */
export function extractBootstrap(userData: string): BootstrapConfig {
  if (!userData.startsWith('#cloud-config')) throw new Error('user-data is not a #cloud-config document');
  const doc = parse(userData) as { write_files?: { path: string; content: string; encoding?: string }[] } | null;
  const file = doc?.write_files?.find((f) => f.path === BOOTSTRAP_PATH);
  if (!file) throw new Error(`user-data has no ${BOOTSTRAP_PATH}`);
  const text = file.encoding === 'b64' || file.encoding === 'base64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
  const cfg = JSON.parse(text) as BootstrapConfig;
  for (const k of ['apiUrl', 'token', 'instanceId', 'serverName'] as const) {
    if (typeof cfg[k] !== 'string' || !cfg[k]) throw new Error(`bootstrap config lacks ${k}`);
  }
  return cfg;
}

/** What a snapshot builder's user-data tells the control plane's emulators (see {@link extractSnapshotBuild}). */
export interface SnapshotBuildConfig {
  apiUrl: string;
  buildId: string;
  buildToken: string;
  bootstrapVersion: string;
}

/**
 * Read a snapshot builder's build id, token and API URL from its user-data, the way the
 * builder's scripts read them from `build.env`. Emulators use it to play the builder: they
 * `POST {apiUrl}/v1/snapshot-builds/{buildId}/ready` with `Authorization: Bearer {buildToken}`.
 * Returns null for user-data that is not a snapshot build.
 *
 * @example
 * extractSnapshotBuild(renderSnapshotBuilderUserData(input))?.buildId === input.buildId // → true
 */
export function extractSnapshotBuild(userData: string): SnapshotBuildConfig | null {
  if (!userData.startsWith('#cloud-config')) return null;
  const doc = parse(userData) as { write_files?: { path: string; content: string }[] } | null;
  const file = doc?.write_files?.find((f) => f.path === SNAPSHOT_BUILD_ENV_PATH);
  if (!file) return null;
  const env: Record<string, string> = {};
  for (const line of file.content.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(?:'([^']*)'|"([^"]*)")$/.exec(line);
    if (m) env[m[1]] = m[2] ?? m[3];
  }
  const out = { apiUrl: env.HANGAR_API_URL, buildId: env.HANGAR_BUILD_ID, buildToken: env.HANGAR_BUILD_TOKEN, bootstrapVersion: env.HANGAR_BOOTSTRAP_VERSION };
  return Object.values(out).every((v) => typeof v === 'string' && v) ? out : null;
}
