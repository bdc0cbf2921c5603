import type { FastifyInstance } from 'fastify';
import { HangarError } from '../domain/errors.ts';

/** The dashboard's policy: its own scripts and styles only, no framing, no plugins. */
export const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/** Everything else (JSON, problem details, SSE) loads nothing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export interface HostPolicy {
  /** Host names (no port) a request may name in `Host` and `Origin`; empty = any. */
  allowed: string[];
}

/**
 * The host names Hangar answers to: loopback names, the listen address, the public URL's host and
 * HANGAR_ALLOWED_HOSTS. Listening on every interface with neither a public URL nor an allow-list
 * accepts any host (there is no way to know the names it is reached by).
 *
 * @example
 * allowedHosts({ host: '127.0.0.1', publicUrl: 'https://hangar.example.com', extra: [] })
 * // → ['localhost', '127.0.0.1', '::1', 'hangar.example.com']
 */
export function allowedHosts(o: { host: string; publicUrl?: string; extra: string[] }): string[] {
  if (o.extra.includes('*')) return [];
  const wildcard = o.host === '0.0.0.0' || o.host === '::';
  if (wildcard && !o.publicUrl && !o.extra.length) return [];
  const names = new Set(['localhost', '127.0.0.1', '::1', ...o.extra.map((h) => h.toLowerCase())]);
  if (!wildcard) names.add(bare(o.host));
  if (o.publicUrl) names.add(bare(new URL(o.publicUrl).hostname));
  return [...names];
}

/** A host name as compared here: lower-case, IPv6 without its brackets. */
const bare = (name: string): string => name.toLowerCase().replace(/^\[|\]$/g, '');

/** The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`), lower-cased. */
export function hostnameOf(value: string): string | null {
  try {
    return bare(new URL(`http://${value}`).hostname);
  } catch {
    return null;
  }
}

/**
 * Security headers on every response, and a Host / Origin check (DNS rebinding, cross-site
 * requests): a request naming a host Hangar does not answer to is refused with 421, one from a
 * foreign browser origin with 403.
 *
 * @example
 * installSecurity(app, { allowed: allowedHosts({ host: '127.0.0.1', extra: [] }) });
 */
export function installSecurity(app: FastifyInstance, policy: HostPolicy): void {
  const allowed = new Set(policy.allowed);
  const ok = (name: string | null) => !allowed.size || (name !== null && allowed.has(name));
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', API_CSP);
    if (!ok(hostnameOf(req.headers.host ?? ''))) throw new HangarError('misdirected-request', `this Hangar does not answer to host ${JSON.stringify(req.headers.host ?? '')}; add it to HANGAR_ALLOWED_HOSTS`, 421);
    const origin = req.headers.origin;
    if (origin) {
      // A browser's request from another origin (or an opaque `null` one): refused.
      let name: string | null = null;
      try {
        name = bare(new URL(origin).hostname);
      } catch {
        /* refused below */
      }
      if (!name || !ok(name) || hostnameOf(req.headers.host ?? '') !== name) throw new HangarError('forbidden', 'cross-origin requests are not accepted', 403);
    }
  });
}
