import { ValidationError } from '../domain/errors.ts';
import type { BootstrapInput } from './types.ts';

type FieldError = { field: string; message: string };

const PROVIDERS = ['local', 'hetzner', 'digital-ocean', 'ssh'];
const PATHS = ['full', 'snapshot'];
const WORKLOADS = ['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose'];

/** An http(s) URL with nothing a shell, YAML or systemd would read specially. */
export function isSafeUrl(value: unknown): value is string {
  if (typeof value !== 'string' || !/^https?:\/\/[A-Za-z0-9._~:/?#[\]@!&()*+,;=%-]+$/.test(value)) return false;
  if (/['"`$\\\s]/.test(value)) return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname;
  } catch {
    return false;
  }
}

/** Collects field errors and throws one ValidationError naming them all. */
export class Checker {
  readonly errors: FieldError[] = [];
  check(ok: boolean, field: string, message: string): this {
    if (!ok) this.errors.push({ field, message });
    return this;
  }
  throwIfAny(what: string): void {
    if (this.errors.length) {
      throw new ValidationError(`invalid ${what}: ${this.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, this.errors);
    }
  }
}

export const RE_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
export const RE_SERVER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const RE_TOKEN = /^[A-Za-z0-9_.~-]{8,512}$/;
export const RE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const RE_SSH_KEY = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( [^\r\n]*)?$/;

/** Shared checks of the plain fields every renderer embeds in scripts and YAML. */
export function checkCommon(c: Checker, input: { provider?: unknown; path?: unknown; workload?: unknown; bootstrapVersion?: unknown }): void {
  c.check(PROVIDERS.includes(input.provider as string), 'provider', `must be one of ${PROVIDERS.join(', ')}`);
  c.check(PATHS.includes(input.path as string), 'path', `must be one of ${PATHS.join(', ')}`);
  c.check(WORKLOADS.includes(input.workload as string), 'workload', `must be one of ${WORKLOADS.join(', ')}`);
  c.check(typeof input.bootstrapVersion === 'string' && RE_VERSION.test(input.bootstrapVersion), 'bootstrapVersion', 'must be 1-63 letters, digits, dots, dashes or underscores');
}

/**
 * Validate a {@link BootstrapInput} before rendering anything from it.
 *
 * @example
 * validateBootstrapInput({ ...input, bootstrap: { ...input.bootstrap, apiUrl: 'ftp://x' } }) // throws ValidationError
 */
export function validateBootstrapInput(input: BootstrapInput): void {
  const c = new Checker();
  checkCommon(c, input);
  const b = (input?.bootstrap ?? {}) as Partial<BootstrapInput['bootstrap']>;
  c.check(isSafeUrl(b.apiUrl), 'bootstrap.apiUrl', 'must be an http(s) URL without quotes, spaces or backslashes');
  c.check(typeof b.token === 'string' && RE_TOKEN.test(b.token), 'bootstrap.token', 'must be 8-512 URL-safe characters');
  c.check(typeof b.instanceId === 'string' && RE_ID.test(b.instanceId), 'bootstrap.instanceId', 'must be letters, digits and dashes (a UUID)');
  c.check(typeof b.serverName === 'string' && RE_SERVER_NAME.test(b.serverName), 'bootstrap.serverName', 'must be a DNS label (lower-case letters, digits, dashes; ≤ 63)');
  (input.sshAuthorizedKeys ?? []).forEach((k, i) => c.check(typeof k === 'string' && RE_SSH_KEY.test(k), `sshAuthorizedKeys.${i}`, 'must be one OpenSSH public key line'));
  c.throwIfAny('bootstrap input');
}
