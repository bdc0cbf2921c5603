import { isSecretName, REDACTED, redactArgv, redactText } from './redact.ts';

/** Who an actor string names: `api:ci` → api, `user:a@b` → user, `agent:…`, `builder:…`, else system. */
export type ActorKind = 'api' | 'user' | 'agent' | 'builder' | 'system' | 'anonymous';

/**
 * The kind of an actor string.
 *
 * @example
 * actorKind('api:ci') // → 'api'
 * actorKind('user:alice@example.com') // → 'user'
 * actorKind('reconciler') // → 'system'
 */
export function actorKind(actor: string | null | undefined): ActorKind {
  if (!actor || actor === 'anonymous') return 'anonymous';
  const prefix = actor.split(':', 1)[0];
  return prefix === 'api' || prefix === 'user' || prefix === 'agent' || prefix === 'builder' ? prefix : 'system';
}

/** Keys whose value is a map of secret names to secret values: only the names are kept. */
const SECRET_MAPS = new Set(['secrets', 'env', 'environment', 'credentials']);
/** Keys whose value is a command line (redacted as argv). */
const ARGV_KEYS = new Set(['argv', 'command', 'args']);
/**
 * Fields of Hangar's request schemas whose whole value is secret (or proves one) whatever their
 * name says: enrollment's token, nonce and proof, keys, release bundles and signatures, OAuth codes,
 * and the workload settings the settings schemas mark secret without a secret-sounding name (compose, environment).
 */
const SECRET_FIELDS = new Set(['privatekey', 'token', 'compose', 'environment', 'nonce', 'proof', 'proofhash', 'bundle', 'signature', 'clientsecret', 'code', 'codeverifier', 'idtoken', 'refreshtoken', 'devicecode']);

const MAX_DEPTH = 6;
const MAX_STRING = 500;
const MAX_ITEMS = 50;

/**
 * A request body or query fit for the audit log: secret-named fields masked, secret maps reduced to
 * their names, command lines redacted as argv, other strings through `redactText`, and everything
 * bounded (depth 6, 50 items, 500 characters a string).
 *
 * @example
 * auditData({ provider: 'local', secrets: { OPENAI_API_KEY: 'sk-…' }, token: 'x' })
 * // → { provider: 'local', secrets: ['OPENAI_API_KEY'], token: '[REDACTED]' }
 */
export function auditData(value: unknown, depth = 0, key = ''): unknown {
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'number') return value ?? null;
  if (typeof value === 'string') return redactText(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value);
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    if (ARGV_KEYS.has(key) && value.every((v) => typeof v === 'string')) return redactArgv(value.slice(0, MAX_ITEMS) as string[]).map((s) => (s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…` : s));
    return value.slice(0, MAX_ITEMS).map((v) => auditData(v, depth + 1));
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, MAX_ITEMS)) {
      const lower = k.toLowerCase().replace(/[-_]/g, '');
      if (SECRET_MAPS.has(k) && v && typeof v === 'object' && !Array.isArray(v)) out[k] = Object.keys(v).slice(0, MAX_ITEMS);
      else if (SECRET_FIELDS.has(lower) || isSecretName(k)) out[k] = v === null || v === undefined || v === '' ? v ?? null : REDACTED;
      else out[k] = auditData(v, depth + 1, k);
    }
    return out;
  }
  return String(value);
}

/**
 * The object a route acts on, from its pattern and path parameters: the collection before the
 * first parameter, singular, and that parameter's value.
 *
 * @example
 * auditObject('/v1/instances/:id/exec', { id: 'a1' }) // → { type: 'instance', id: 'a1' }
 * auditObject('/v1/ssh-hosts/:ref', { ref: 'web' })   // → { type: 'ssh-host', id: 'web' }
 * auditObject('/v1/instances', {})                     // → { type: 'instance', id: null }
 */
export function auditObject(pattern: string, params: Record<string, string | undefined>): { type: string | null; id: string | null } {
  const parts = pattern.split('/').filter((p) => p && p !== 'v1');
  const at = parts.findIndex((p) => p.startsWith(':'));
  const collection = at > 0 ? parts[at - 1] : parts[0];
  if (!collection || collection.startsWith(':')) return { type: null, id: null };
  const type = collection.replace(/ies$/, 'y').replace(/s$/, '');
  const id = at > 0 ? (params[parts[at].slice(1)] ?? null) : null;
  return { type, id: id === null ? null : String(id).slice(0, 200) };
}
