import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { HangarError, ValidationError } from '../domain/errors.ts';

/**
 * Render any error as RFC 9457 problem details. User mistakes keep their 4xx; anything
 * unexpected becomes a 500 without a stack trace.
 */
export function sendProblem(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof HangarError)) err = unvalidatedInput(err) ?? err;
  let status = 500;
  let body: Record<string, unknown>;
  if (err instanceof HangarError) {
    status = err.status;
    body = { type: `https://hangar.dev/problems/${err.type}`, title: titleFor(status), status, detail: err.message, ...(err.errors ? { errors: err.errors } : {}) };
    if ('code' in err && typeof err.code === 'string') body.code = err.code;
    // Figures a client can act on (a refused budget's cap, running total and price): RFC 9457 extension members.
    if ('extensions' in err && err.extensions && typeof err.extensions === 'object') body = { ...(err.extensions as Record<string, unknown>), ...body };
  } else if (isFastifyClientError(err)) {
    status = err.statusCode;
    body = { type: 'https://hangar.dev/problems/bad-request', title: titleFor(status), status, detail: err.message };
  } else {
    body = { type: 'https://hangar.dev/problems/internal', title: 'Internal Server Error', status, detail: 'an unexpected error occurred; see the server log' };
  }
  return reply.code(status).type('application/problem+json').send(body);
}

/** SQLSTATEs of a query that failed on the data it carried: class 22 (data exception: a bad uuid, a NUL byte, out of range) and 54000 (an index row too large). */
const INPUT_SQLSTATE = /^(22[0-9A-Z]{3}|54000)$/;

/**
 * A database error caused by a value that should have been refused at the edge, as a 400 of type
 * `unvalidated-input`; null for any other error. The last line of defence only: routes validate
 * first and name the field, which this cannot (the fuzz test fails on it, and the error handler
 * still logs the original error).
 *
 * @example
 * unvalidatedInput(new DrizzleQueryError(q, p, Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' })))
 * // → HangarError 400 unvalidated-input
 */
export function unvalidatedInput(err: unknown): HangarError | null {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && INPUT_SQLSTATE.test(code)) {
      return new HangarError('unvalidated-input', `a value in this request cannot be stored or looked up (SQLSTATE ${code}); it should have been refused naming its field: please report this`, 400);
    }
  }
  return null;
}

function isFastifyClientError(err: unknown): err is { statusCode: number; message: string } {
  const s = (err as { statusCode?: number })?.statusCode;
  return typeof s === 'number' && s >= 400 && s < 500;
}

function titleFor(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 402: 'Payment Required', 404: 'Not Found', 409: 'Conflict', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests', 502: 'Bad Gateway' } as Record<number, string>)[status] ?? 'Error';
}

/**
 * Parse with zod, turning issues into a ValidationError that names each field.
 *
 * @example
 * const body = parseInput(CreateInstance, req.body, 'body');
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, where: 'body' | 'query' = 'body'): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : where, message: i.message }));
  throw new ValidationError(`invalid ${where}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
}
