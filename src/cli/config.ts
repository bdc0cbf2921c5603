import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, UsageError } from './errors.ts';

/**
 * Where the CLI finds its server and key. Precedence, per setting:
 * flags (`--url`, `--api-key`) > env (`HANGAR_URL`, `HANGAR_API_KEY`) > config file
 * (`${XDG_CONFIG_HOME:-~/.config}/hangar/config.json`, written by `hangar login`) > default URL.
 */
export const DEFAULT_URL = 'http://127.0.0.1:7070';

export interface CliConfigFile {
  url?: string;
  apiKey?: string;
}

export interface Settings {
  url: string;
  apiKey: string | undefined;
  /** Where each value came from, for messages. */
  source: { url: 'flag' | 'env' | 'config' | 'default'; apiKey: 'flag' | 'env' | 'config' | null };
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'hangar', 'config.json');
}

/** The config file, or `{}` if there is none; a malformed file is an error that names it. */
export function readConfigFile(path: string): CliConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON; fix it or run \`hangar login\` again`);
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new CliError(`${path} must hold a JSON object like {"url": "…", "apiKey": "hgr_…"}`);
  const o = j as Record<string, unknown>;
  return { ...(typeof o.url === 'string' ? { url: o.url } : {}), ...(typeof o.apiKey === 'string' ? { apiKey: o.apiKey } : {}) };
}

/** Write the config file 0600 in a 0700 directory, atomically (temp file + rename). */
export function writeConfigFile(path: string, cfg: CliConfigFile): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Resolve URL and key from flags, env and file (pure; see the precedence above). */
export function resolveSettings(flags: { url?: string; apiKey?: string }, env: NodeJS.ProcessEnv, file: CliConfigFile): Settings {
  const pick = <T extends string>(...c: [T, string | undefined][]) => c.find(([, v]) => v !== undefined && v !== '') as [T, string] | undefined;
  const url = pick<'flag' | 'env' | 'config'>(['flag', flags.url], ['env', env.HANGAR_URL], ['config', file.url]);
  const key = pick<'flag' | 'env' | 'config'>(['flag', flags.apiKey], ['env', env.HANGAR_API_KEY], ['config', file.apiKey]);
  return {
    url: normalizeUrl(url?.[1] ?? DEFAULT_URL),
    apiKey: key?.[1],
    source: { url: url?.[0] ?? 'default', apiKey: key?.[0] ?? null },
  };
}

/** `127.0.0.1:7070` → `http://127.0.0.1:7070`; trailing slashes dropped; anything else not http(s) is a usage error. */
export function normalizeUrl(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid URL "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`invalid URL "${raw}": use http:// or https://`);
  return u.toString().replace(/\/+$/, '');
}

export const MISSING_KEY =
  'no API key. Hangar prints its admin key (hgr_…) once, when the server first starts (`npm start`).\n' +
  'Save it with `hangar login --url URL --api-key hgr_…`, or set HANGAR_API_KEY (or pass --api-key).';
