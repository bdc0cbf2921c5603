import { urlUserinfoPattern } from '../domain/redact.ts';
import type { WorkloadKind } from './types.ts';

/**
 * Workload settings schemas: which settings a workload has, their types, and which are secret.
 * Each workload declares its schema beside its renderer (`OPENCLAW_SETTINGS` in openclaw.ts, …);
 * {@link splitSettings} uses it to divide a request's `config` into what is stored and shown
 * (`config`) and what is sealed at rest and delivered only at enrollment (`secrets`).
 *
 * Secrets stay `Record<string, string>` end to end (engine, sealing, renderers): a secret that is
 * not a string (runner-stack's `environment` map, a command list holding a URL with credentials)
 * is stored as {@link JSON_SECRET} + its JSON, and {@link decodeSecret} gives the value back.
 */

export type SettingType = 'string' | 'text' | 'url' | 'int' | 'boolean' | 'list' | 'envMap';

export interface SettingField {
  type: SettingType;
  /** Sealed whole: never stored in `config`, never returned, logged or put in events. */
  secret?: true;
}

/**
 * What a workload does with settings its schema does not name:
 * - `env`: each one is a secret environment variable for the workload (`openaiApiKey` →
 *   `OPENAI_API_KEY`), so every unknown string setting is sealed;
 * - `rejected`: they are not settings; validation refuses them by name. Unknown strings are
 *   sealed all the same (a misspelt secret, `gitTokne`, must not reach `config` even briefly).
 * Unknown settings that are not strings stay in `config`, where validation refuses them
 * (they cannot be env values) before anything is stored.
 */
export type ExtraSettings = 'env' | 'rejected';

export interface SettingsSchema {
  kind: WorkloadKind;
  fields: Readonly<Record<string, SettingField>>;
  extra: ExtraSettings;
}

/** Settings every workload has. */
export const COMMON_SETTINGS: Readonly<Record<string, SettingField>> = {
  /** Allow `hangar exec` on this instance. */
  exec: { type: 'boolean' },
  /** The loopback port of the workload's web UI (the dashboard's "Open", `/v1/instances/:id/proxy/`). */
  uiPort: { type: 'int' },
};

/** Prefix of a secret stored as JSON (a map or a list). NUL never occurs in API input (it is refused). */
const JSON_SECRET = '\u0000json:';

/**
 * A secret as stored: strings as they are, anything else as {@link JSON_SECRET} + JSON.
 *
 * @example
 * encodeSecret('s3cret') // → 's3cret'
 * encodeSecret({ A: 'b' }) // → '\u0000json:{"A":"b"}'
 */
export function encodeSecret(value: unknown): string {
  return typeof value === 'string' ? value : `${JSON_SECRET}${JSON.stringify(value)}`;
}

/**
 * A stored secret's value (the inverse of {@link encodeSecret}).
 *
 * @example
 * decodeSecret('\u0000json:{"A":"b"}') // → { A: 'b' }
 */
export function decodeSecret(stored: string): unknown {
  if (!stored.startsWith(JSON_SECRET)) return stored;
  try {
    return JSON.parse(stored.slice(JSON_SECRET.length)) as unknown;
  } catch {
    return stored;
  }
}


/**
 * The userinfo (`user:password`) of a URL, percent-decoded, or null when it has none.
 *
 * @example
 * urlUserinfo('https://bot:ghp_x@github.com/a/b.git') // → { username: 'bot', password: 'ghp_x' }
 * urlUserinfo('https://github.com/a/b.git') // → null
 */
export function urlUserinfo(url: string): { username: string; password: string | null } | null {
  const m = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/([^\s/?#]*)@/.exec(url);
  if (!m) return null;
  const colon = m[1].indexOf(':');
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return colon < 0 ? { username: dec(m[1]), password: null } : { username: dec(m[1].slice(0, colon)), password: dec(m[1].slice(colon + 1)) };
}

/**
 * A value with the userinfo of every URL in it removed (strings, and the strings inside lists
 * and maps).
 *
 * @example
 * withoutUserinfo('https://bot:ghp_x@github.com/a.git') // → 'https://github.com/a.git'
 * withoutUserinfo(['git', 'clone', 'https://u:p@h/r']) // → ['git', 'clone', 'https://h/r']
 */
export function withoutUserinfo<T>(value: T): T {
  if (typeof value === 'string') return value.replace(urlUserinfoPattern(), '$1') as T;
  if (Array.isArray(value)) return value.map((v) => withoutUserinfo(v)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutUserinfo(v)])) as T;
  return value;
}

const hasUserinfo = (value: unknown): boolean => JSON.stringify(withoutUserinfo(value)) !== JSON.stringify(value);

/**
 * Divide a request's settings by the workload's schema: secret fields (and unknown strings) go
 * to `secrets` whole; a setting holding a URL with userinfo is sealed whole too, and `config`
 * keeps it without the userinfo (the renderer reads the sealed value, secrets first); everything
 * else stays in `config`.
 *
 * @example
 * splitSettings(RUNNER_STACK_SETTINGS, { apiImage: 'ghcr.io/a/b:1', environment: { A: 'x' }, repositoryUrl: 'https://u:p@h/r.git' })
 * // → { config: { apiImage: 'ghcr.io/a/b:1', repositoryUrl: 'https://h/r.git' },
 * //     secrets: { environment: '\u0000json:{"A":"x"}', repositoryUrl: 'https://u:p@h/r.git' } }
 */
export function splitSettings(schema: SettingsSchema, input: Record<string, unknown>): { config: Record<string, unknown>; secrets: Record<string, string> } {
  const config: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    const field = Object.hasOwn(schema.fields, name) ? schema.fields[name] : Object.hasOwn(COMMON_SETTINGS, name) ? COMMON_SETTINGS[name] : undefined;
    const secret = field ? field.secret === true : typeof value === 'string';
    if (secret) {
      secrets[name] = encodeSecret(value);
    } else if (hasUserinfo(value)) {
      secrets[name] = encodeSecret(value);
      config[name] = withoutUserinfo(value);
    } else {
      config[name] = value;
    }
  }
  return { config, secrets };
}

/**
 * Every string a set of stored secrets could show up as in rendered text: each value (maps and
 * lists flattened), percent-encoded too, and the user and password of any URL userinfo in it.
 * For redacting plans; values shorter than 4 characters are left out (they would redact noise).
 *
 * @example
 * secretValues({ repositoryUrl: 'https://bot:ghp_x1@h/r' }) // → ['https://bot:ghp_x1@h/r', 'https%3A%2F%2F…', 'ghp_x1']
 */
export function secretValues(secrets: Record<string, string>): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    for (const v of [s, encodeURIComponent(s)]) if (v.length >= 4) out.add(v);
  };
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      add(v);
      for (const m of v.matchAll(urlUserinfoPattern())) {
        const info = urlUserinfo(`${m[1]}${m[2]}@`);
        if (!info) continue;
        add(m[2]);
        add(info.username);
        if (info.password) add(info.password);
      }
    } else if (typeof v === 'number' || typeof v === 'boolean') add(String(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const stored of Object.values(secrets)) walk(decodeSecret(stored));
  return [...out];
}
