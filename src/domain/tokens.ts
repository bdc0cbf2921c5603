import { createHash, randomBytes, timingSafeEqual, createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * Secret tokens. Each has a readable prefix so a leaked one is recognisable
 * (`hgr_` API keys, `hgb_` one-time bootstrap tokens, `hga_` agent keys), and 256 bits of
 * randomness. Only their SHA-256 hash is stored.
 *
 * @example
 * const key = newToken('hgr'); // 'hgr_…'
 * hashToken(key) // → 64 hex chars, what the database keeps
 */
export function newToken(prefix: 'hgr' | 'hgb' | 'hga'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatches(token: string, hash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * AES-256-GCM sealing for secrets at rest. The output is `v1.<iv>.<tag>.<ciphertext>` in base64url.
 *
 * @example
 * const key = randomBytes(32);
 * open(seal('s3cret', key), key) // → 's3cret'
 */
export function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

export function open(sealed: string, key: Buffer): string {
  const [v, iv, tag, ct] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}
