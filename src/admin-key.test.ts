import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoveryHint, adminKeyBanner, firstProvider } from './admin-key.ts';

describe('adminKeyBanner', () => {
  const key = 'hgr_' + 'k'.repeat(43);
  it('shows the key on a terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-key-'));
    expect(adminKeyBanner(key, 'http://127.0.0.1:7070', dir, true)).toContain(key);
  });
  it('suggests a provider that is offered', () => {
    expect(firstProvider(['local', 'ssh'])).toBe('local');
    expect(firstProvider(['ssh', 'hetzner'])).toBe('hetzner');
    const dir = mkdtempSync(join(tmpdir(), 'hangar-key-'));
    expect(adminKeyBanner(key, 'http://127.0.0.1:7070', dir, true, 'hetzner')).toContain('--provider hetzner');
  });
  it('writes it to a 0600 file, never to the output, when stdout is not a terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-key-'));
    const text = adminKeyBanner(key, 'http://127.0.0.1:7070', dir, false);
    expect(text).not.toContain(key);
    expect(text).toContain(join(dir, 'admin.key'));
    expect(readFileSync(join(dir, 'admin.key'), 'utf8').trim()).toBe(key);
    expect(statSync(join(dir, 'admin.key')).mode & 0o777).toBe(0o600);
  });
});

describe('recoveryHint', () => {
  it('says how to mint a new admin key offline, for either database', () => {
    expect(recoveryHint('/srv/hangar', false)).toMatch(/Stop Hangar, then run: npx hangar admin reset-key --data-dir \/srv\/hangar/);
    expect(recoveryHint('/srv/hangar', true)).toMatch(/DATABASE_URL=… npx hangar admin reset-key/);
  });
});
