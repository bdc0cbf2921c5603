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
 * operator's intent, so approving an older version rolls the fleet back to it. Null = stay.
 */
export function targetRelease<R extends ReleaseGate>(releases: readonly R[], instanceId: string, refused: readonly string[] = []): R | null {
  const approved = releases
    .filter((r) => r.approvedAt && !r.revokedAt && canaryBucket(instanceId, r.version) < r.canaryPercent)
    .sort((a, b) => b.approvedAt!.getTime() - a.approvedAt!.getTime());
  const top = approved[0];
  return top && !refused.includes(top.version) ? top : null;
}
