/**
 * How a vendor's error answer becomes a {@link ProviderError}: its body reduced to a code and a
 * message ({@link parseVendorError}), whether the call may succeed later ({@link isRetryable}),
 * and "not found" ({@link isNotFound}).
 *
 * @example
 * const { code, message } = parseVendorError(res.status, body);
 * throw new ProviderError('hetzner', code, message, res.status, isRetryable(res.status, code));
 */
import { ProviderError } from '../domain/errors.ts';

/** A vendor error body reduced to a code and a message. */
export interface VendorError {
  code: string;
  message: string;
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  412: 'precondition_failed',
  422: 'unprocessable_entity',
  423: 'locked',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'timeout',
};

function statusCode(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'server_error' : `http_${status}`);
}

/**
 * Map an error body to a code and message, whichever vendor sent it:
 * Hetzner `{error:{code,message}}`, DigitalOcean `{id,message}`, Tailscale `{message}`, and
 * RFC 9457 problem details (what Prism answers, with its `validation` list). Only those parsed
 * fields are kept (a code that is not a plain slug becomes one from the status; a message is cut
 * to 300 characters): a non-JSON or unexpected body gives `HTTP <status>` and nothing of its text,
 * since whatever answers at a configured endpoint reaches API responses and events this way.
 *
 * @example
 * parseVendorError(409, { error: { code: 'uniqueness_error', message: 'name used' } }) // → { code: 'uniqueness_error', message: 'name used' }
 * parseVendorError(502, '<html>…</html>') // → { code: 'bad_gateway', message: 'HTTP 502' }
 */
export function parseVendorError(status: number, body: unknown): VendorError {
  const o = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  const found = o ? vendorFields(status, o) : null;
  if (!found) return { code: statusCode(status), message: `HTTP ${status}` };
  const code = /^[A-Za-z0-9_.-]{1,64}$/.test(found.code) ? found.code : statusCode(status);
  const message = found.message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 300) || `HTTP ${status}`;
  return { code, message };
}

function vendorFields(status: number, o: Record<string, unknown>): VendorError | null {
  const err = o.error;
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    if (typeof e.code === 'string') return { code: e.code, message: typeof e.message === 'string' ? e.message : e.code };
  }
  if (typeof o.id === 'string' && typeof o.message === 'string') return { code: o.id, message: o.message };
  if (typeof o.title === 'string' && typeof o.status === 'number') {
    const slug = typeof o.type === 'string' ? (o.type.split('#').pop() ?? '') : '';
    const code = /^[A-Z_]+$/.test(slug) ? slug.toLowerCase() : statusCode(status);
    const details = Array.isArray(o.validation)
      ? (o.validation as { location?: unknown; message?: unknown }[]).map((v) => `${Array.isArray(v?.location) ? v.location.join('.') : ''}: ${typeof v?.message === 'string' ? v.message : ''}`).join('; ')
      : '';
    return { code, message: [o.title, typeof o.detail === 'string' ? o.detail : '', details].filter(Boolean).join(' — ') };
  }
  if (typeof o.message === 'string') return { code: statusCode(status), message: o.message };
  if (typeof o.error === 'string') return { code: statusCode(status), message: o.error };
  return null;
}

const RETRYABLE_CODES = new Set(['conflict', 'locked', 'rate_limit_exceeded', 'resource_unavailable', 'server_error', 'unavailable', 'timeout', 'maintenance', 'too_many_requests']);

/**
 * Whether a failed call may succeed later unchanged.
 *
 * @example
 * isRetryable(423, 'locked') // → true
 * isRetryable(409, 'uniqueness_error') // → false
 */
export function isRetryable(status: number, code: string): boolean {
  return status === 429 || status >= 500 || status === 423 || RETRYABLE_CODES.has(code);
}

/**
 * Whether `err` is a vendor's 404.
 *
 * @example
 * isNotFound(new ProviderError('hetzner', 'not_found', 'gone', 404)) // → true
 */
export function isNotFound(err: unknown): boolean {
  return err instanceof ProviderError && err.httpStatus === 404;
}
