import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretKey } from './secret-key.ts';

describe('secretKey', () => {
  it('generates dataDir/secret.key once (0600) and reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-key-'));
    const a = secretKey({ dataDir: dir });
    expect(a).toHaveLength(32);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(secretKey({ dataDir: dir }).equals(a)).toBe(true);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(a.toString('hex'));
  });
  it('takes HANGAR_SECRET_KEY as hex or base64 of 32 bytes, and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    expect(secretKey({ dataDir: '/nonexistent', secretKey: hex }).toString('hex')).toBe(hex);
    expect(secretKey({ dataDir: '/nonexistent', secretKey: Buffer.alloc(32, 7).toString('base64') })).toEqual(Buffer.alloc(32, 7));
    expect(() => secretKey({ dataDir: '/nonexistent', secretKey: 'short' })).toThrow(/32 bytes/);
  });
});
