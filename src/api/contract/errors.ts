import type { components } from './schema.d.ts';

/** RFC 9457 problem details, as the API sends them with every 4xx and 5xx. */
export type Problem = components['schemas']['Problem'];
export type FieldError = NonNullable<Problem['errors']>[number];

/**
 * The API answered with an error: its status and problem details (`problem` is null only for an
 * error a client makes up itself, e.g. a form's own check).
 *
 * @example
 * try { await getInstance(id); } catch (err) { if (err instanceof ApiError && err.status === 404) … }
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    message?: string,
  ) {
    super(message ?? (problem?.detail || problem?.title || `HTTP ${status}`));
  }

  /** The fields a 400 or 422 names, `[]` otherwise. */
  get fieldErrors(): FieldError[] {
    return this.problem?.errors ?? [];
  }
}

/**
 * The server could not be reached at all (refused, unknown host, no answer in time).
 *
 * @example
 * new NetworkError('http://127.0.0.1:7070', 'ECONNREFUSED').message // → 'cannot reach Hangar at http://127.0.0.1:7070 (ECONNREFUSED)'
 */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';

  constructor(
    readonly url: string,
    readonly causeText: string,
  ) {
    super(`cannot reach Hangar at ${url} (${causeText})`);
  }
}

/**
 * The problem details of an error answer: its own, completed where a field is missing, or made
 * up from the status and the start of the body when it sent none (a proxy's HTML page).
 *
 * @example
 * problemOf(502, 'Bad Gateway', '<html>…') // → { type: 'about:blank', title: 'Bad Gateway', status: 502, detail: 'HTTP 502 Bad Gateway: <html>…' }
 */
export function problemOf(status: number, statusText: string, body: unknown): Problem {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const j = body as Partial<Problem>;
    return { type: j.type ?? 'about:blank', title: j.title ?? statusText, status: j.status ?? status, detail: j.detail ?? j.title ?? `HTTP ${status}`, ...(j.errors ? { errors: j.errors } : {}) };
  }
  const text = typeof body === 'string' ? body : '';
  return { type: 'about:blank', title: statusText, status, detail: `HTTP ${status} ${statusText}${text ? `: ${text.slice(0, 200)}` : ''}` };
}

/**
 * What fetch hides in `cause` (ECONNREFUSED, ENOTFOUND…), or the error's own message.
 *
 * @example
 * causeOf(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })) // → 'ECONNREFUSED'
 */
export function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}

/** Whether `err` is a cancelled request (an AbortSignal fired, by hand or by a timeout). */
export const isAbort = (err: unknown): boolean => (err as Error)?.name === 'AbortError' || (err as Error)?.name === 'TimeoutError';
