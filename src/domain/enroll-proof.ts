import { createHash, randomBytes } from 'node:crypto';

/**
 * Enrollment binding. With each enroll request an agent sends `proofHash`, the SHA-256 (hex) of
 * a fresh random secret it keeps (0600) in its state dir; the control plane stores the hash of
 * the request it accepts. A spent bootstrap token enrolls again (a lost response) only with
 * `proof`, the secret whose hash is stored, and that request's own `proofHash` replaces it: each
 * secret is sent once, after which it is worth nothing, so an observed request never is.
 *
 * @example
 * const secret = newEnrollSecret();
 * proofHashOf(secret) // 64 hex chars, sent as proofHash; `secret` is sent later as proof
 */
export function newEnrollSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The SHA-256 (hex) of an enrollment secret, as sent in `proofHash`. */
export function proofHashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A secret: 32 random bytes in base64url. */
export const ENROLL_PROOF_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Its hash: SHA-256 in lowercase hex. */
export const ENROLL_PROOF_HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The 401 detail for a proof whose hash is not the stored one (the agent may try an older secret). */
export const ENROLL_PROOF_MISMATCH = 'enrollment proof does not match';
