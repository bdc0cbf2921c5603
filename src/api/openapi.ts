import { z } from 'zod';
import { CreateInstance, Enroll, Instance, InstanceEvent, Problem } from './schemas.ts';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (s: object) => ({ 'application/json': { schema: s } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const list = (item: string) => ({ type: 'object', properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } }, required: ['items', 'nextCursor'] });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const providerParam = { name: 'provider', in: 'path', required: true, schema: { type: 'string', enum: ['local', 'hetzner', 'digital-ocean', 'ssh'] } };
const q = (name: string, s: object, description?: string) => ({ name, in: 'query', required: false, schema: s, ...(description ? { description } : {}) });

let doc: Record<string, unknown> | null = null;

/** The OpenAPI 3.1 description of the public API, served at `/openapi.json`. */
export function openApiDocument(): Record<string, unknown> {
  doc ??= {
    openapi: '3.1.0',
    info: { title: 'Hangar API', version: '0.1.0', description: 'Provision, connect and operate AI-agent servers. Errors are RFC 9457 problem details.' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, hgr_…' } },
      schemas: { CreateInstance: schema(CreateInstance), Instance: schema(Instance), InstanceEvent: schema(InstanceEvent), Problem: schema(Problem), Enroll: schema(Enroll) },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/instances': {
        post: {
          operationId: 'createInstance',
          summary: 'Create an instance (intent is stored before any cloud call)',
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 }, description: 'Same key and body → the first response again; different body → 422' },
            q('dryRun', { type: 'string', enum: ['true', 'false'] }, 'Return the plan and redacted user-data; no cloud call'),
          ],
          requestBody: { required: true, content: json(ref('CreateInstance')) },
          responses: { 201: { description: 'Created', content: json(ref('Instance')) }, 400: problem('Invalid input; `errors` names each field'), 401: problem('Missing or invalid API key'), 422: problem('Idempotency-Key reused with a different body') },
        },
        get: {
          operationId: 'listInstances',
          summary: 'List instances, newest first',
          parameters: [q('limit', { type: 'integer', minimum: 1, maximum: 200 }), q('cursor', { type: 'string' }), q('status', { type: 'string' }, 'comma-separated lifecycle statuses'), q('provider', { type: 'string' })],
          responses: { 200: { description: 'A page', content: json(list('Instance')) }, 400: problem('Invalid query') },
        },
      },
      '/v1/instances/{id}': {
        get: { operationId: 'getInstance', parameters: [idParam], responses: { 200: { description: 'The instance', content: json(ref('Instance')) }, 404: problem('No such instance') } },
        delete: { operationId: 'destroyInstance', summary: 'Destroy: stopping now, stopped when the provider says the server is gone', parameters: [idParam], responses: { 202: { description: 'Stopping', content: json(ref('Instance')) }, 404: problem('No such instance') } },
      },
      '/v1/instances/{id}/events': {
        get: {
          operationId: 'instanceEvents',
          summary: 'The append-only event log; with Accept: text/event-stream, replays then follows (Last-Event-ID resumes)',
          parameters: [idParam, q('after', { type: 'integer' }), q('limit', { type: 'integer' })],
          responses: { 200: { description: 'Events', content: { ...json(list('InstanceEvent')), 'text/event-stream': { schema: { type: 'string' } } } }, 404: problem('No such instance') },
        },
      },
      '/v1/events': { get: { operationId: 'allEvents', summary: 'Every instance’s events (JSON or SSE)', parameters: [q('after', { type: 'integer' })], responses: { 200: { description: 'Events', content: { ...json(list('InstanceEvent')), 'text/event-stream': { schema: { type: 'string' } } } } } } },
      '/v1/providers': { get: { operationId: 'listProviders', responses: { 200: { description: 'Configured providers', content: json({ type: 'object' }) } } } },
      '/v1/providers/{provider}/server-types': { get: { operationId: 'listServerTypes', parameters: [providerParam, q('refresh', { type: 'string', enum: ['true', 'false'] })], responses: { 200: { description: 'Server types with prices per location', content: json({ type: 'object' }) }, 404: problem('Provider not configured') } } },
      '/v1/providers/{provider}/locations': { get: { operationId: 'listLocations', parameters: [providerParam, q('refresh', { type: 'string', enum: ['true', 'false'] })], responses: { 200: { description: 'Locations', content: json({ type: 'object' }) }, 404: problem('Provider not configured') } } },
      '/v1/agents/enroll': { post: { operationId: 'enrollAgent', security: [], summary: 'Exchange a one-time bootstrap token for an agent identity', requestBody: { required: true, content: json(ref('Enroll')) }, responses: { 200: { description: 'Agent id, key, workload plan', content: json({ type: 'object' }) }, 401: problem('Unknown, used or expired token') } } },
      '/v1/agent/bundle': { get: { operationId: 'agentBundle', security: [], responses: { 200: { description: 'The agent, one JavaScript file', content: { 'text/javascript': { schema: { type: 'string' } } } } } } },
      '/healthz': { get: { operationId: 'health', security: [], responses: { 200: { description: 'Up', content: json({ type: 'object' }) } } } },
      '/metrics': { get: { operationId: 'metrics', security: [], responses: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
  };
  return doc;
}
