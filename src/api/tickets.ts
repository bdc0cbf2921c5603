import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Grant } from '../domain/roles.ts';

/**
 * What a ticket lets a browser do, where it cannot send a bearer header: open the terminal
 * WebSocket (`terminal`, in the URL), enter the proxied workload UI (`proxy-link`, in the URL,
 * exchanged at once for a cookie), browse it (`proxy-cookie`, an HttpOnly cookie scoped to the
 * instance's proxy path).
 */
export type TicketPurpose = 'terminal' | 'proxy-link' | 'proxy-cookie';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A role route a browser may also call with this kind of ticket instead of a bearer key. */
    ticket?: 'terminal' | 'proxy';
  }
}

interface Claims {
  /** purpose */
  p: TicketPurpose;
  /** instance id */
  i: string;
  /** actor who minted it */
  a: string;
  /** grant the actor held */
  g: Grant;
  /** expiry, unix seconds */
  e: number;
  /** nonce */
  n: string;
}

/** Name of the proxy cookie (its path scopes it to one instance's proxy). */
export const PROXY_COOKIE = 'hangar_proxy';
/** Query parameter of a proxy sign-in link. */
export const PROXY_TICKET_PARAM = 'hangar_ticket';

/**
 * Signed, short-lived tickets bound to one instance and one purpose: HMAC-SHA256 under a key
 * derived from the sealing key, so every replica verifies them without shared state.
 *
 * @example
 * const tickets = new Tickets(sealingKey);
 * const t = tickets.mint('terminal', id, 'api:ops', 'admin', 60);
 * tickets.verify(t, 'terminal', id) // → { actor: 'api:ops', grant: 'admin' }
 */
export class Tickets {
  private readonly key: Buffer;

  constructor(secret: Buffer, private readonly now: () => number = Date.now) {
    this.key = createHmac('sha256', secret).update('hangar tickets v1').digest();
  }

  mint(purpose: TicketPurpose, instanceId: string, actor: string, grant: Grant, seconds: number): { ticket: string; expiresAt: Date } {
    const e = Math.floor(this.now() / 1000) + seconds;
    const body = Buffer.from(JSON.stringify({ p: purpose, i: instanceId, a: actor, g: grant, e, n: randomBytes(9).toString('base64url') } satisfies Claims)).toString('base64url');
    return { ticket: `${body}.${this.sign(body)}`, expiresAt: new Date(e * 1000) };
  }

  /** The actor and grant of a valid, unexpired ticket for this purpose and instance; null otherwise. */
  verify(ticket: string | undefined, purpose: TicketPurpose, instanceId: string): { actor: string; grant: Grant } | null {
    if (!ticket || ticket.length > 1024) return null;
    const [body, sig] = ticket.split('.');
    if (!body || !sig) return null;
    const want = Buffer.from(this.sign(body));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    let c: Claims;
    try {
      c = JSON.parse(Buffer.from(body, 'base64url').toString()) as Claims;
    } catch {
      return null;
    }
    if (c.p !== purpose || c.i !== instanceId || !(c.e * 1000 > this.now())) return null;
    return { actor: c.a, grant: c.g };
  }

  /**
   * The caller a ticket-accepting route admits without a bearer key (installAccess asks this):
   * the terminal's `?ticket=`, the proxy's cookie or sign-in link, for the instance in the path.
   */
  fromRequest(req: FastifyRequest): { actor: string; grant: Grant } | null {
    const kind = req.routeOptions.config.ticket;
    const id = (req.params as { id?: string }).id ?? '';
    const q = (req.query ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    if (kind === 'terminal') return this.verify(str(q.ticket), 'terminal', id);
    if (kind === 'proxy') return this.verify(cookieOf(req.headers.cookie, PROXY_COOKIE), 'proxy-cookie', id) ?? this.verify(str(q[PROXY_TICKET_PARAM]), 'proxy-link', id);
    return null;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/**
 * One cookie's value from a `Cookie` header.
 *
 * @example
 * cookieOf('a=1; hangar_proxy=x.y', 'hangar_proxy') // → 'x.y'
 */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * A `Cookie` header without one cookie (Hangar's own, before a request goes to the workload).
 *
 * @example
 * withoutCookie('a=1; hangar_proxy=x; b=2', 'hangar_proxy') // → 'a=1; b=2'
 */
export function withoutCookie(header: string | undefined, name: string): string | undefined {
  const kept = (header ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && p.split('=')[0].trim() !== name);
  return kept.length ? kept.join('; ') : undefined;
}
