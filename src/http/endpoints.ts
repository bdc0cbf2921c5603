/**
 * Which URLs Hangar may send cloud and tailnet credentials to: any `https` URL, or an `http(s)`
 * origin on the operator's explicit allow-list (`HANGAR_ALLOWED_ENDPOINTS`, for emulators and
 * mocks such as `http://127.0.0.1:4010`; `*` as the port allows any port of that host). Never
 * with a user name or password in the URL. Pure: no I/O.
 *
 * @example
 * const allowed = parseAllowedEndpoints('http://127.0.0.1:*').origins;
 * endpointProblem('http://127.0.0.1:4010/v1', allowed) // → null
 * endpointProblem('http://10.0.0.5/v1', allowed)       // → 'must be an https URL, or …'
 */

/** One allow-listed origin; `port` null = any port. */
export interface AllowedOrigin {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: string | null;
}

/** The env variable holding the allow-list. */
const ALLOWED_ENDPOINTS_ENV = 'HANGAR_ALLOWED_ENDPOINTS';

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * Parse the allow-list: comma- or space-separated origins (`scheme://host[:port|:*]`, no path).
 * Entries that are not such an origin are left out and named in `problems`.
 *
 * @example
 * parseAllowedEndpoints('http://127.0.0.1:*, http://[::1]:4010') // → { origins: [2 origins], problems: [] }
 */
export function parseAllowedEndpoints(value: string | readonly string[] | undefined): { origins: AllowedOrigin[]; problems: string[] } {
  const entries = (typeof value === 'string' ? value.split(/[\s,]+/) : [...(value ?? [])]).map((e) => e.trim()).filter(Boolean);
  const origins: AllowedOrigin[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const m = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}|\*))?\/?$/.exec(entry);
    if (!m) {
      problems.push(`${ALLOWED_ENDPOINTS_ENV}: "${entry.slice(0, 100)}" is not an origin such as http://127.0.0.1:4010 (port * for any)`);
      continue;
    }
    let hostname: string;
    try {
      hostname = new URL(`${m[1]}://${m[2]}`).hostname;
    } catch {
      problems.push(`${ALLOWED_ENDPOINTS_ENV}: "${entry.slice(0, 100)}" has an invalid host`);
      continue;
    }
    const protocol = `${m[1]}:` as AllowedOrigin['protocol'];
    const port = m[3] === '*' ? null : String(Number(m[3] ?? DEFAULT_PORT[protocol]));
    origins.push({ protocol, hostname, port });
  }
  return { origins, problems };
}

/**
 * Why `url` may not receive credentials, or null when it may: it must parse, be https (or an
 * allow-listed http(s) origin) and carry no user name or password. The answer never repeats the
 * URL (it could hold a secret).
 *
 * @example
 * endpointProblem('https://user:pw@api.example.com', []) // → 'must not carry a user name or password'
 */
export function endpointProblem(url: string, allowed: readonly AllowedOrigin[]): string | null {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return 'must be an absolute https URL';
  }
  if (u.username || u.password) return 'must not carry a user name or password';
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an https URL';
  const port = u.port || DEFAULT_PORT[u.protocol];
  const listed = allowed.some((o) => o.protocol === u.protocol && o.hostname === u.hostname && (o.port === null || o.port === port));
  if (listed) return null;
  if (u.protocol === 'https:') return null;
  return `must be an https URL, or an origin listed in ${ALLOWED_ENDPOINTS_ENV} (e.g. ${u.protocol}//${u.hostname}:*)`;
}
