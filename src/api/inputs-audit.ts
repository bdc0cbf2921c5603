import { z } from 'zod';
import { storableText } from './text.ts';

const cursor = z.string().regex(/^\d{1,15}$/, 'an id this API returned (digits)').transform(Number);
const text = (max: number) => storableText(z.string().min(1).max(max));

/**
 * `GET /v1/audit`: filters, a cursor (newest first) or `after` (oldest first, for following), JSON or JSON lines.
 *
 * @example
 * parseInput(AuditQuery, { actor: 'api:ci', limit: '50' }, 'query') // → { actor: 'api:ci', limit: 50, format: 'json' }
 */
export const AuditQuery = z.object({
  actor: text(300).optional().describe('exact actor, e.g. api:ci or user:alice@example.com'),
  action: text(300).optional().describe('exact action (POST /v1/instances/:id/exec), or a prefix ending in *'),
  object: text(300).optional().describe('type, type:id (instance:…) or an id'),
  project: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a project name').optional().describe('installation admins: one project (default: all); others always see their own'),
  since: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time, inclusive'),
  until: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time, inclusive'),
  cursor: cursor.optional().describe('nextCursor of the previous page'),
  after: cursor.optional().describe('rows after this id, oldest first (follow)'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  format: z.enum(['json', 'jsonl']).default('json').describe('jsonl: every matching row as JSON lines, streamed, newest first'),
});

