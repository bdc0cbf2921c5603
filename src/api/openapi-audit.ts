import { z } from 'zod';
import { AuditQuery } from './inputs-audit.ts';

type Json = Record<string, unknown>;

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
const nullableString = { type: ['string', 'null'] };

/** One audit row as `GET /v1/audit` answers it. */
export const AUDIT_ENTRY_SCHEMA: Json = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'at', 'actor', 'actorKind', 'project', 'action', 'objectType', 'objectId', 'ip', 'userAgent', 'outcome', 'reason', 'data'],
  properties: {
    id: { type: 'string', pattern: '^\\d+$', description: 'increasing; the cursor' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'string', description: 'api:<key name>, user:<email>, agent:<id>, system:<part>, anonymous' },
    actorKind: { type: 'string', enum: ['api', 'user', 'agent', 'builder', 'system', 'anonymous'] },
    project: { type: 'string' },
    action: { type: 'string', description: 'METHOD /route/pattern, or a name for automatic actions (orphan.delete, instance.timeout, audit.purge)' },
    objectType: nullableString,
    objectId: nullableString,
    ip: nullableString,
    userAgent: nullableString,
    outcome: { type: 'string', description: 'the HTTP status, or ok / error' },
    reason: nullableString,
    data: { type: ['object', 'null'], description: 'the redacted query and body (no secret values)' },
  },
};

/** Query parameters of `GET /v1/audit`, from the zod schema the route parses with. */
function queryParams(): Json[] {
  const js = z.toJSONSchema(AuditQuery, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as { properties: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties).map(([name, p]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: p, ...(typeof p.description === 'string' ? { description: p.description } : {}) }));
}

/** The audit log's operations in the OpenAPI document. */
export const AUDIT_PATHS: Record<string, Record<string, Json>> = {
  '/v1/audit': {
    get: {
      operationId: 'listAudit',
      tags: ['audit'],
      summary: 'The audit log, newest first: every mutating call, sensitive read and automatic action. Owners see their project, installation admins every project.',
      parameters: queryParams(),
      responses: {
        200: {
          description: 'A page (nextCursor: pass as cursor), or with format=jsonl every matching row as streamed JSON lines',
          content: {
            'application/json': { schema: { type: 'object', additionalProperties: false, required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: AUDIT_ENTRY_SCHEMA }, nextCursor: nullableString } } },
            // JSON lines: each line is one row (OpenAPI 3.1 has no schema for a sequence; this is the line's).
            'application/x-ndjson': { schema: { ...AUDIT_ENTRY_SCHEMA, description: 'one audit row per line' } },
          },
        },
        400: problem('Invalid query; `errors` names each field'),
      },
    },
  },
};
