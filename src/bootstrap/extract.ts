import { parse } from 'yaml';
import { BOOTSTRAP_PATH, type BootstrapConfig } from './types.ts';

/**
 * Find the agent's bootstrap config inside rendered cloud-init user-data, exactly as a booting
 * server's cloud-init would write it. Used by the `local` provider and the cloud emulators so
 * the agent they start gets only what a real server would.
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
