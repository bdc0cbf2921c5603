import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HangarConfig } from '../config.ts';

/**
 * The key that seals secrets at rest: HANGAR_SECRET_KEY (64 hex characters or base64 of 32
 * bytes), else dataDir/secret.key, generated once and kept 0600.
 *
 * @example
 * const key = secretKey({ dataDir: '.hangar' }); // 32 bytes
 */
export function secretKey(config: Pick<HangarConfig, 'secretKey' | 'dataDir'>): Buffer {
  if (config.secretKey) {
    const k = /^[0-9a-f]{64}$/i.test(config.secretKey) ? Buffer.from(config.secretKey, 'hex') : Buffer.from(config.secretKey, 'base64');
    if (k.length !== 32) throw new Error('HANGAR_SECRET_KEY must be 32 bytes, as 64 hex characters or base64');
    return k;
  }
  const path = join(config.dataDir, 'secret.key');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
}
