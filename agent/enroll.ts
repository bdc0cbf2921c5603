import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { BootstrapConfig } from '../src/domain/agent-contract.ts';
import { ENROLL_PROOF_MISMATCH, newEnrollSecret, proofHashOf } from '../src/domain/enroll-proof.ts';

/** Secrets kept at most (one per enroll request whose answer never came). */
const MAX_SECRETS = 32;

/**
 * The enrollment secrets this agent sent the hash of and may have to prove (src/domain/enroll-proof.ts),
 * oldest first, in `enroll-proof.json` (0600) in the state dir so they survive a restart.
 * The control plane holds the hash of at most one of them: that of its last accepted request.
 */
export class EnrollSecrets {
  private constructor(
    private readonly path: string,
    private secrets: string[],
  ) {}

  static async load(stateDir: string): Promise<EnrollSecrets> {
    const path = join(stateDir, 'enroll-proof.json');
    const kept = existsSync(path) ? ((JSON.parse(await readFile(path, 'utf8')) as { secrets?: string[] }).secrets ?? []) : [];
    return new EnrollSecrets(path, kept.filter((s) => typeof s === 'string'));
  }

  /** The newest secret the control plane may hold, or null (then the token must be unspent). */
  get newest(): string | null {
    return this.secrets[this.secrets.length - 1] ?? null;
  }

  /** A new secret, kept on disk before its hash is sent. */
  async next(): Promise<string> {
    const s = newEnrollSecret();
    this.secrets = [...this.secrets, s].slice(-MAX_SECRETS);
    await this.save();
    return s;
  }

  /** Secrets the control plane answered it does not hold. */
  async forget(...gone: (string | null)[]): Promise<void> {
    this.secrets = this.secrets.filter((s) => !gone.includes(s));
    await this.save();
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }

  private async save(): Promise<void> {
    await writeFile(this.path, JSON.stringify({ secrets: this.secrets }), { mode: 0o600 });
    await chmod(this.path, 0o600);
  }
}

/** `now`: the answer was definite (an older secret is worth trying at once, no backoff). */
type Outcome<T> = { ok: true; state: T } | { ok: false; fatal: boolean; now?: boolean; message: string };

/**
 * One enroll request: the hash of a new secret, and the newest secret we may have to prove.
 * A "proof does not match" answer forgets that secret (and the new one) so the next request,
 * sent at once, proves an older one; an answer that never came keeps both (either may now be the
 * one). Each request lost while the control plane was down leaves one more secret to walk back.
 *
 * @example
 * const r = await enrollOnce(cfg, secrets, '0.1.0');
 * if (r.ok) save(r.state);
 */
export async function enrollOnce<T>(cfg: BootstrapConfig, secrets: EnrollSecrets, version: string): Promise<Outcome<T>> {
  const proof = secrets.newest;
  const fresh = await secrets.next();
  let res: Response;
  try {
    res = await fetch(`${cfg.apiUrl}/v1/agents/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: cfg.token, instanceId: cfg.instanceId, version, hostname: hostname(), proofHash: proofHashOf(fresh), ...(proof ? { proof } : {}) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    return { ok: false, fatal: false, message: `enrollment failed: ${(err as Error).message}` };
  }
  if (res.ok) return { ok: true, state: (await res.json()) as T };
  const detail = ((await res.json().catch(() => ({}))) as { detail?: string }).detail;
  if (res.status === 401 && detail === ENROLL_PROOF_MISMATCH) {
    await secrets.forget(proof, fresh);
    // Another, older secret may be the one held; with none left the token is simply spent.
    return { ok: false, fatal: secrets.newest === null, now: true, message: `enrollment refused: ${detail}` };
  }
  if (res.status === 401 || res.status === 403 || res.status === 400) return { ok: false, fatal: true, message: `enrollment refused: ${detail ?? res.status}` };
  return { ok: false, fatal: false, message: `enrollment failed: HTTP ${res.status}` };
}
