import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';

/**
 * Agent releases: what is signed, how it is verified, and which release an agent should run.
 *
 * A release is a bundle (one JavaScript file) and its version. The publisher signs the
 * manifest `hangar-agent-release v1\n<version>\n<sha256 of the bundle>` with an ed25519
 * private key that never leaves the operator's machine; the control plane and every agent
 * check it against the public keys they trust (agents pin theirs at enrollment). Pure: no I/O.
 *
 * @example
 * const { publicKey, privateKeyPem } = newReleaseKey();
 * const sig = signRelease(bundle, '2.0.0', privateKeyPem);
 * verifyRelease({ version: '2.0.0', bundle, sha256: sha256Hex(bundle), signature: sig }, [publicKey]) // → null (ok)
 */

/** A release version: `MAJOR.MINOR.PATCH` with an optional `-prerelease` tag. */
export const RELEASE_VERSION = /^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,40})?$/;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function manifest(version: string, sha256: string): Buffer {
  return Buffer.from(`hangar-agent-release v1\n${version}\n${sha256}`);
}

/** A new ed25519 key pair: the public key as base64 SPKI DER (what HANGAR_RELEASE_KEYS lists), the private key as PKCS#8 PEM. */
export function newReleaseKey(): { publicKey: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** The base64 public key of a PEM private key. */
export function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'der', type: 'spki' }).toString('base64');
}

/** Sign a bundle for `version`; returns the base64 signature. */
export function signRelease(bundle: Buffer, version: string, privateKeyPem: string): string {
  return sign(null, manifest(version, sha256Hex(bundle)), createPrivateKey(privateKeyPem)).toString('base64');
}

/** Whether a string is a usable ed25519 public key (base64 SPKI DER). */
export function releaseKeyProblem(key: string): string | null {
  try {
    const k = createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
    return k.asymmetricKeyType === 'ed25519' ? null : `is a ${k.asymmetricKeyType} key, not ed25519`;
  } catch {
    return 'is not a base64 ed25519 public key (SPKI DER)';
  }
}

/**
 * Check a release: the bundle's checksum, then its signature by one of `keys`. Returns null when
 * it is good, else why not (fail closed: no keys means nothing verifies).
 */
export function verifyRelease(r: { version: string; bundle: Buffer; sha256: string; signature: string }, keys: readonly string[]): string | null {
  const actual = sha256Hex(r.bundle);
  if (actual !== r.sha256) return `checksum mismatch: expected sha256 ${r.sha256.slice(0, 12)}…, got ${actual.slice(0, 12)}…`;
  if (!keys.length) return 'no trusted release key: nothing can be verified';
  const sig = Buffer.from(r.signature, 'base64');
  for (const key of keys) {
    try {
      const pub = createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
      if (verify(null, manifest(r.version, r.sha256), pub, sig)) return null;
    } catch {
      /* a malformed key verifies nothing */
    }
  }
  return `signature does not verify with any of the ${keys.length} trusted release key(s)`;
}

/** What the target choice needs of a release. */
export interface ReleaseGate {
  version: string;
  approvedAt: Date | null;
  revokedAt: Date | null;
  /** Share of agents (1–100) that get it; 100 = everyone. */
  canaryPercent: number;
}

/** A stable bucket 0–99 for an instance and a version: the same agents stay in a canary as it widens. */
export function canaryBucket(instanceId: string, version: string): number {
  return createHash('sha256').update(`${instanceId}\n${version}`).digest().readUInt32BE(0) % 100;
}

/**
 * The release an agent should run: the most recently approved, unrevoked release whose canary
 * share includes it and that it has not already refused or rolled back. Approval order is the
 * operator's intent, so approving an older version rolls the fleet back to it (which the engine
 * allows only with an explicit `allowDowngrade`: see {@link newerApproved}). Null = stay.
 */
export function targetRelease<R extends ReleaseGate>(releases: readonly R[], instanceId: string, refused: readonly string[] = []): R | null {
  const approved = releases
    .filter((r) => r.approvedAt && !r.revokedAt && canaryBucket(instanceId, r.version) < r.canaryPercent)
    .sort((a, b) => b.approvedAt!.getTime() - a.approvedAt!.getTime());
  const top = approved[0];
  return top && !refused.includes(top.version) ? top : null;
}

/**
 * Order two release versions by semver precedence: `MAJOR.MINOR.PATCH` numerically, then a
 * version with a `-tag` before the same version without one; tags compare dot by dot, numeric
 * parts numerically and before alphanumeric ones, a shorter tag first when all else is equal.
 * Returns -1, 0 or 1. Versions that do not match {@link RELEASE_VERSION} compare as strings.
 *
 * @example
 * compareVersions('1.10.0', '1.9.3')        // → 1
 * compareVersions('2.0.0-rc.1', '2.0.0')    // → -1
 * compareVersions('2.0.0-rc.2', '2.0.0-rc.10') // → -1
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0) as -1 | 0 | 1;
  if (!RELEASE_VERSION.test(a) || !RELEASE_VERSION.test(b)) return sign(a < b ? -1 : a > b ? 1 : 0);
  const [coreA, tagA] = splitVersion(a);
  const [coreB, tagB] = splitVersion(b);
  for (let i = 0; i < 3; i++) if (coreA[i] !== coreB[i]) return sign(coreA[i] - coreB[i]);
  if (tagA === null || tagB === null) return tagA === tagB ? 0 : tagA === null ? 1 : -1;
  const pa = tagA.split('.');
  const pb = tagB.split('.');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return sign(Number(x) - Number(y));
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return sign(pa.length - pb.length);
}

function splitVersion(v: string): [number[], string | null] {
  const dash = v.indexOf('-');
  const core = (dash < 0 ? v : v.slice(0, dash)).split('.').map(Number);
  return [core, dash < 0 ? null : v.slice(dash + 1)];
}

/**
 * Anti-rollback: the highest approved, unrevoked release other than `version` when `version` is
 * lower than it (approving `version` would then move agents back), else null. Revoking the newer
 * release is the way back that needs no override.
 *
 * @example
 * newerApproved('1.0.0', [{ version: '2.0.0', approvedAt: new Date(), revokedAt: null }]) // → '2.0.0'
 * newerApproved('2.1.0', [{ version: '2.0.0', approvedAt: new Date(), revokedAt: null }]) // → null
 */
export function newerApproved(version: string, releases: readonly Pick<ReleaseGate, 'version' | 'approvedAt' | 'revokedAt'>[]): string | null {
  let highest: string | null = null;
  for (const r of releases) {
    if (r.version === version || !r.approvedAt || r.revokedAt) continue;
    if (highest === null || compareVersions(r.version, highest) > 0) highest = r.version;
  }
  return highest !== null && compareVersions(version, highest) < 0 ? highest : null;
}
