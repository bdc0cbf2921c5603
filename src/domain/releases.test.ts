import { describe, expect, it } from 'vitest';
import { canaryBucket, compareVersions, newerApproved, newReleaseKey, publicKeyOf, releaseKeyProblem, sha256Hex, signRelease, targetRelease, verifyRelease } from './releases.ts';

const bundle = Buffer.from('console.log("agent 2.0.0");\n');
const key = newReleaseKey();
const release = (b: Buffer, version = '2.0.0', pem = key.privateKeyPem) => ({ version, bundle: b, sha256: sha256Hex(b), signature: signRelease(b, version, pem) });

describe('release signatures', () => {
  it('verifies a bundle signed by a trusted key', () => {
    expect(verifyRelease(release(bundle), [key.publicKey])).toBeNull();
    expect(publicKeyOf(key.privateKeyPem)).toBe(key.publicKey);
  });

  it('fails closed: wrong key, no key, another version, a changed bundle, a wrong checksum', () => {
    const other = newReleaseKey();
    expect(verifyRelease(release(bundle, '2.0.0', other.privateKeyPem), [key.publicKey])).toMatch(/does not verify/);
    expect(verifyRelease(release(bundle), [])).toMatch(/no trusted release key/);
    expect(verifyRelease({ ...release(bundle), version: '2.0.1' }, [key.publicKey])).toMatch(/does not verify/);
    const tampered = Buffer.from('console.log("evil");\n');
    expect(verifyRelease({ ...release(bundle), bundle: tampered }, [key.publicKey])).toMatch(/checksum mismatch/);
    expect(verifyRelease({ ...release(bundle), bundle: tampered, sha256: sha256Hex(tampered) }, [key.publicKey])).toMatch(/does not verify/);
    expect(verifyRelease({ ...release(bundle), signature: 'not base64 at all' }, [key.publicKey])).toMatch(/does not verify/);
  });

  it('accepts any of several trusted keys and ignores malformed ones', () => {
    const other = newReleaseKey();
    expect(verifyRelease(release(bundle, '2.0.0', other.privateKeyPem), ['garbage', key.publicKey, other.publicKey])).toBeNull();
  });

  it('names what is wrong with a configured key', () => {
    expect(releaseKeyProblem(key.publicKey)).toBeNull();
    expect(releaseKeyProblem('hello')).toMatch(/not a base64 ed25519 public key/);
  });
});

describe('targetRelease', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const r = (version: string, approved: number | null, extra: { revoked?: boolean; canary?: number } = {}) => ({ version, approvedAt: approved === null ? null : at(approved), revokedAt: extra.revoked ? at(99) : null, canaryPercent: extra.canary ?? 100 });

  it('is the most recently approved, unrevoked release; unapproved ones never count', () => {
    expect(targetRelease([r('2.0.0', 1), r('3.0.0', null)], 'i')?.version).toBe('2.0.0');
    expect(targetRelease([r('2.0.0', 1), r('3.0.0', 2)], 'i')?.version).toBe('3.0.0');
    expect(targetRelease([r('2.0.0', 1), r('3.0.0', 2, { revoked: true })], 'i')?.version).toBe('2.0.0');
    // Approving an older version later rolls back to it.
    expect(targetRelease([r('3.0.0', 2), r('2.0.0', 3)], 'i')?.version).toBe('2.0.0');
    expect(targetRelease([], 'i')).toBeNull();
  });

  it('stays put when the target was refused here (no fallback to an older one)', () => {
    expect(targetRelease([r('2.0.0', 1), r('3.0.0', 2)], 'i', ['3.0.0'])).toBeNull();
  });

  it('a canary share includes a stable set of instances that only grows as the share widens', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const inShare = (pct: number) => ids.filter((id) => targetRelease([r('2.0.0', 1), r('3.0.0', 2, { canary: pct })], id)?.version === '3.0.0');
    const ten = inShare(10);
    expect(ten.length).toBeGreaterThan(60);
    expect(ten.length).toBeLessThan(140);
    const fifty = new Set(inShare(50));
    expect(ten.every((id) => fifty.has(id))).toBe(true);
    expect(inShare(100)).toHaveLength(1000);
    // Outside the canary: the previous approved release.
    const outside = ids.find((id) => canaryBucket(id, '3.0.0') >= 10)!;
    expect(targetRelease([r('2.0.0', 1), r('3.0.0', 2, { canary: 10 })], outside)?.version).toBe('2.0.0');
  });
});

describe('compareVersions (semver precedence)', () => {
  it('orders the core numerically, not as text', () => {
    const sorted = ['1.10.0', '1.2.0', '10.0.0', '2.0.0', '1.2.10', '1.2.9', '0.0.1'].sort(compareVersions);
    expect(sorted).toEqual(['0.0.1', '1.2.0', '1.2.9', '1.2.10', '1.10.0', '2.0.0', '10.0.0']);
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
  });

  it('puts a -tag before its release, and orders tags part by part (numbers numerically, before words)', () => {
    // The precedence example of semver.org §11.
    const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 0; i < chain.length - 1; i++) {
      expect(compareVersions(chain[i], chain[i + 1]), `${chain[i]} < ${chain[i + 1]}`).toBe(-1);
      expect(compareVersions(chain[i + 1], chain[i])).toBe(1);
    }
    expect([...chain].reverse().sort(compareVersions)).toEqual(chain);
    expect(compareVersions('2.0.0-rc.1', '1.9.9')).toBe(1);
  });
});

describe('newerApproved (anti-rollback)', () => {
  const at = new Date();
  const rel = (version: string, o: { approved?: boolean; revoked?: boolean } = {}) => ({ version, approvedAt: o.approved === false ? null : at, revokedAt: o.revoked ? at : null });

  it('names the highest approved, unrevoked release above the one being approved', () => {
    expect(newerApproved('1.0.0', [rel('1.5.0'), rel('2.0.0'), rel('1.0.0')])).toBe('2.0.0');
    expect(newerApproved('2.0.0-rc.1', [rel('2.0.0')])).toBe('2.0.0');
    expect(newerApproved('1.9.0', [rel('1.10.0')])).toBe('1.10.0');
  });

  it('lets an upgrade, a re-approval of the highest, and a version above revoked or unapproved ones through', () => {
    expect(newerApproved('2.1.0', [rel('2.0.0')])).toBeNull();
    expect(newerApproved('2.0.0', [rel('2.0.0'), rel('1.0.0')])).toBeNull();
    expect(newerApproved('1.0.0', [rel('2.0.0', { revoked: true }), rel('3.0.0', { approved: false })])).toBeNull();
    expect(newerApproved('1.0.0', [])).toBeNull();
  });
});
