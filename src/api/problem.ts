import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { HangarError, ValidationError } from '../domain/errors.ts';

/**
 * Render any error as RFC 9457 problem details. User mistakes keep their 4xx; anything
 * unexpected becomes a 500 without a stack trace.
 */
export function sendProblem(reply: FastifyReply, err: unknown): FastifyReply {
  let status = 500;
  let body: Record<string, unknown>;
  if (err instanceof HangarError) {
    status = err.status;
    body = { type: `https://hangar.dev/problems/${err.type}`, title: titleFor(status), status, detail: err.message, ...(err.errors ? { errors: err.errors } : {}) };
    if ('code' in err && typeof err.code === 'string') body.code = err.code;
  } else if (isFastifyClientError(err)) {
    status = err.statusCode;
    body = { type: 'https://hangar.dev/problems/bad-request', title: titleFor(status), status, detail: err.message };
  } else {
    body = { type: 'https://hangar.dev/problems/internal', title: 'Internal Server Error', status, detail: 'an unexpected error occurred; see the server log' };
  }
  return reply.code(status).type('application/problem+json').send(body);
}

function isFastifyClientError(err: unknown): err is { statusCode: number; message: string } {
  const s = (err as { statusCode?: number })?.statusCode;
  return typeof s === 'number' && s >= 400 && s < 500;
}

function titleFor(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests', 502: 'Bad Gateway' } as Record<number, string>)[status] ?? 'Error';
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
