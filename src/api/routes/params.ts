import type { FastifyRequest } from 'fastify';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';


/**
 * The `:id` of an instance route: a UUID, or the instance does not exist (404, never a database error).
 *
 * @example
 * const id = instanceIdOf(req); // '5aa2f4bc-…' or throws NotFoundError
 */
export function instanceIdOf(req: FastifyRequest, what = 'instance'): string {
  const id = (req.params as { id: string }).id;
  if (!isUuid(id)) throw new NotFoundError(what, JSON.stringify(id.slice(0, 64)));
  return id;
}

/**
 * An SSE `Last-Event-ID` (or `?after=`): a non-negative integer event id. Anything else is a 400
 * naming the header, not a silent stream of nothing.
 *
 * @example
 * lastEventId('42', undefined) // → 42
 */
export function lastEventId(header: string | string[] | undefined, after: number | undefined): number {
  if (header === undefined) return after ?? 0;
  const v = Array.isArray(header) ? header[0] : header;
  if (!/^\d{1,15}$/.test(v.trim())) throw new ValidationError('Last-Event-ID must be an event id (a non-negative integer)', [{ field: 'Last-Event-ID', message: 'a non-negative integer' }]);
  return Number(v.trim());
}

