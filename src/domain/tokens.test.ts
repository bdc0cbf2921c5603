import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashToken, newToken, open, seal, tokenMatches } from './tokens.ts';

describe('tokens', () => {
  it('are prefixed, 256-bit and unique', () => {
    const a = newToken('hgb');
    expect(a).toMatch(/^hgb_[A-Za-z0-9_-]{43}$/);
    expect(new Set(Array.from({ length: 100 }, () => newToken('hga'))).size).toBe(100);
  });

  it('match only their own hash', () => {
    const t = newToken('hgr');
    expect(tokenMatches(t, hashToken(t))).toBe(true);
    expect(tokenMatches(newToken('hgr'), hashToken(t))).toBe(false);
    expect(hashToken(t)).not.toContain(t.slice(4));
  });

  it('seal and open secrets; tampering or a wrong key fails', () => {
    const key = randomBytes(32);
    const sealed = seal('ghp_secret', key);
    expect(sealed).not.toContain('ghp_secret');
    expect(open(sealed, key)).toBe('ghp_secret');
    expect(() => open(sealed, randomBytes(32))).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => open(parts.join('.'), key)).toThrow();
  });
});
