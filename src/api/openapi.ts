import { z } from 'zod';
import { CreateInstance, Enroll, Instance, InstanceEvent, Problem } from './schemas.ts';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (s: object) => ({ 'application/json': { schema: s } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const list = (item: string) => ({ type: 'object', properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } }, required: ['items', 'nextCursor'] });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const providerParam = { name: 'provider', in: 'path', required: true, schema: { type: 'string', enum: ['local', 'hetzner', 'digital-ocean', 'ssh'] } };
const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };
const q = (name: string, s: object, description?: string) => ({ name, in: 'query', required: false, schema: s, ...(description ? { description } : {}) });

const snapshotSchema = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, provider: { type: 'string' }, bootstrapVersion: { type: ['string', 'null'] }, createdAt: { type: ['string', 'null'] }, sizeGb: { type: ['number', 'null'] }, locations: { type: ['array', 'null'], items: { type: 'string' } }, current: { type: 'boolean' } }, required: ['id', 'name', 'provider', 'current'] };
const snapshotBuildSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    provider: { type: 'string' },
    location: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['pending', 'building', 'imaging', 'done', 'failed'] },
    bootstrapVersion: { type: 'string' },
    serverId: { type: ['string', 'null'] },
    imageId: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    events: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' }, status: { type: 'string' }, message: { type: 'string' } } } },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
  required: ['id', 'provider', 'status', 'events'],
};

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
      '/v1/instances/{id}/status': { get: { operationId: 'instanceStatus', summary: 'Lifecycle, connection, heartbeat and versions from the control plane, plus the agent’s own report (agent: null when it is not connected) and the latest smoke test (lastSmoke: { result, detail, at, actor } or null). Audited.', parameters: [idParam], responses: { 200: { description: 'Status', content: json({ type: 'object' }) }, 404: problem('No such instance'), 504: problem('The agent did not answer') } } },
      '/v1/instances/{id}/doctor': { post: { operationId: 'instanceDoctor', summary: 'Run the agent’s checks (disk, memory, clock skew, Docker, Tailscale, firewall, workload health, secret file permissions): { status, checks: [{ name, status: pass|warn|fail, detail, hint }] }. Audited.', parameters: [idParam], responses: { 200: { description: 'Checks', content: json({ type: 'object' }) }, 404: problem('No such instance'), 409: problem('The agent is not connected'), 504: problem('The agent did not answer') } } },
      '/v1/instances/{id}/logs': { get: { operationId: 'instanceLogs', summary: 'The last lines of the agent’s, the bootstrap’s or the workload’s log: { unit, lines }. Audited.', parameters: [idParam, q('unit', { type: 'string', enum: ['agent', 'bootstrap', 'workload'] }), q('lines', { type: 'integer', minimum: 1, maximum: 5000 })], responses: { 200: { description: 'Log lines', content: json({ type: 'object' }) }, 404: problem('No such instance'), 409: problem('The agent is not connected') } } },
      '/v1/instances/{id}/smoke': { post: { operationId: 'instanceSmoke', summary: 'Run the workload’s smoke test (or its health check once): { result: pass|fail, detail }. Counted in hangar_smoke_total; also run by the smoke timer every HANGAR_SMOKE_INTERVAL_SECONDS. Audited.', parameters: [idParam], responses: { 200: { description: 'Result', content: json({ type: 'object' }) }, 404: problem('No such instance'), 409: problem('The agent is not connected') } } },
      '/v1/instances/{id}/restart': { post: { operationId: 'instanceRestart', summary: 'Restart the workload (or the agent, where a supervisor restarts it) and wait for healthy. Audited.', parameters: [idParam], requestBody: { required: false, content: json({ type: 'object', properties: { target: { type: 'string', enum: ['workload', 'agent'] }, timeoutSeconds: { type: 'integer', minimum: 1, maximum: 600 } }, additionalProperties: false }) }, responses: { 200: { description: 'Restarted and healthy', content: json({ type: 'object' }) }, 404: problem('No such instance'), 409: problem('The agent is not connected'), 502: problem('Not healthy after the restart') } } },
      '/v1/instances/{id}/exec': { post: { operationId: 'instanceExec', summary: 'Run a command (argv, no shell) on the server; off unless the instance was created with config {"exec": true}. Output truncated to 16 KiB per stream. Audited.', parameters: [idParam], requestBody: { required: true, content: json({ type: 'object', properties: { argv: { type: 'array', items: { type: 'string' }, minItems: 1 }, timeoutSeconds: { type: 'integer', minimum: 1, maximum: 600 } }, required: ['argv'], additionalProperties: false }) }, responses: { 200: { description: 'exitCode, stdout, stderr, timedOut', content: json({ type: 'object' }) }, 403: problem('exec is not enabled for this instance'), 404: problem('No such instance'), 409: problem('The agent is not connected') } } },
      '/v1/events': { get: { operationId: 'allEvents', summary: 'Every instance’s events (JSON or SSE)', parameters: [q('after', { type: 'integer' })], responses: { 200: { description: 'Events', content: { ...json(list('InstanceEvent')), 'text/event-stream': { schema: { type: 'string' } } } } } } },
      '/v1/providers': { get: { operationId: 'listProviders', responses: { 200: { description: 'Configured providers', content: json({ type: 'object' }) } } } },
      '/v1/providers/{provider}/server-types': { get: { operationId: 'listServerTypes', parameters: [providerParam, q('refresh', { type: 'string', enum: ['true', 'false'] })], responses: { 200: { description: 'Server types with prices per location', content: json({ type: 'object' }) }, 404: problem('Provider not configured') } } },
      '/v1/providers/{provider}/locations': { get: { operationId: 'listLocations', parameters: [providerParam, q('refresh', { type: 'string', enum: ['true', 'false'] })], responses: { 200: { description: 'Locations', content: json({ type: 'object' }) }, 404: problem('Provider not configured') } } },
      '/v1/agents/enroll': { post: { operationId: 'enrollAgent', security: [], summary: 'Exchange a one-time bootstrap token for an agent identity', requestBody: { required: true, content: json(ref('Enroll')) }, responses: { 200: { description: 'Agent id, key, workload plan', content: json({ type: 'object' }) }, 401: problem('Unknown, used or expired token') } } },
      '/v1/agent/bundle': { get: { operationId: 'agentBundle', security: [], responses: { 200: { description: 'The agent, one JavaScript file', content: { 'text/javascript': { schema: { type: 'string' } } } } } } },
      '/v1/providers/{provider}/credentials': {
        put: { operationId: 'putCredentials', description: 'Store a token (and optional endpoint; tailnet for tailscale) for hetzner, digital-ocean or tailscale, sealed at rest; overrides the environment; never returned.', requestBody: { content: json({ type: 'object', required: ['token'], properties: { token: { type: 'string' }, endpoint: { type: 'string' }, tailnet: { type: 'string' } } }) }, responses: { 204: { description: 'Stored; the provider is (re)configured on every replica' }, 400: problem('Invalid fields') } },
        delete: { operationId: 'deleteCredentials', responses: { 204: { description: 'Removed; the environment applies again' }, 404: problem('Nothing stored') } },
      },
      '/v1/agent-releases': {
        get: { operationId: 'listAgentReleases', description: 'Agent releases with their state (published, canary, approved, revoked) and how many live agents run each; trustedKeys counts HANGAR_RELEASE_KEYS.', responses: { 200: { description: 'Releases', content: json({ type: 'object' }) } } },
        post: { operationId: 'publishAgentRelease', description: 'Publish a bundle (base64) signed with an ed25519 key listed in HANGAR_RELEASE_KEYS over "hangar-agent-release v1\\n<version>\\n<sha256 hex>". It reaches no agent until approved.', requestBody: { required: true, content: json({ type: 'object', required: ['version', 'bundle', 'signature'], properties: { version: { type: 'string' }, bundle: { type: 'string', contentEncoding: 'base64' }, signature: { type: 'string' }, notes: { type: 'string' } } }) }, responses: { 201: { description: 'Published', content: json({ type: 'object' }) }, 400: problem('Bad version, bundle or signature (named in errors)'), 409: problem('No trusted key configured, or the version exists with other contents') } },
      },
      '/v1/agent-releases/{version}': { get: { operationId: 'getAgentRelease', parameters: [versionParam], responses: { 200: { description: 'Release', content: json({ type: 'object' }) }, 404: problem('Unknown release') } } },
      '/v1/agent-releases/{version}/approve': { post: { operationId: 'approveAgentRelease', description: 'Let agents run this release (the most recently approved, unrevoked release is every agent’s target); canaryPercent limits it to a stable share of agents. Connected agents are asked to check at once.', parameters: [versionParam], requestBody: { required: false, content: json({ type: 'object', properties: { canaryPercent: { type: 'integer', minimum: 1, maximum: 100 } }, additionalProperties: false }) }, responses: { 200: { description: 'Approved', content: json({ type: 'object' }) }, 404: problem('Unknown release'), 409: problem('Revoked') } } },
      '/v1/agent-releases/{version}/revoke': { post: { operationId: 'revokeAgentRelease', description: 'Withdraw a release: agents on it move to the previously approved one.', parameters: [versionParam], responses: { 200: { description: 'Revoked', content: json({ type: 'object' }) }, 404: problem('Unknown release') } } },
      '/v1/instances/{id}/agent-update': { post: { operationId: 'instanceAgentUpdate', summary: 'Ask the agent to check for its target release now: { ok, data: { staged, detail } }. Audited.', parameters: [idParam], responses: { 200: { description: 'What the agent did', content: json({ type: 'object' }) }, 409: problem('The agent is not connected') } } },
      '/v1/agents/update': { get: { operationId: 'agentUpdateOffer', security: [], description: 'Agents (Authorization: Bearer <agentId>:<agentKey>) ask which release to run.', parameters: [q('version', { type: 'string' }), q('refused', { type: 'string' })], responses: { 200: { description: 'version, sha256, signature, size, url', content: json({ type: 'object' }) }, 204: { description: 'Stay on the current version' }, 401: problem('Bad agent key') } } },
      '/v1/agents/releases/{version}/bundle': { get: { operationId: 'agentReleaseBundle', security: [], description: 'An approved release’s bundle, for agents (their own key).', parameters: [versionParam], responses: { 200: { description: 'The bundle', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, 401: problem('Bad agent key'), 404: problem('Not approved') } } },
      '/v1/ssh-hosts': {
        get: { operationId: 'listSshHosts', description: 'Servers users bring (the ssh provider); keys are never returned.', responses: { 200: { description: 'Hosts', content: json({ type: 'object' }) } } },
        post: { operationId: 'registerSshHost', description: 'Register a host (name, address, port, user, privateKey or keyPath, hostKey pin or trust on first use); ?probe=true connects and checks it first.', requestBody: { content: json({ type: 'object' }) }, responses: { 201: { description: 'Registered', content: json({ type: 'object' }) }, 400: problem('Invalid fields'), 409: problem('Name taken'), 422: problem('The probe failed because of a given field (privateKey, hostKey, address, port)') } },
      },
      '/v1/ssh-hosts/{ref}': {
        get: { operationId: 'getSshHost', responses: { 200: { description: 'Host', content: json({ type: 'object' }) }, 404: problem('Unknown host') } },
        delete: { operationId: 'unregisterSshHost', description: 'Unregister (never touches the host); ?force=true while in use.', responses: { 204: { description: 'Unregistered' }, 409: problem('In use') } },
      },
      '/v1/ssh-hosts/{ref}/probe': { post: { operationId: 'probeSshHost', responses: { 200: { description: 'Fingerprint, OS, architecture', content: json({ type: 'object' }) }, 422: problem('Probe failed') } } },
      '/v1/snapshots': {
        post: { operationId: 'buildSnapshot', summary: 'Start a snapshot build: a builder server runs the full install, reports ready, is powered off, imaged with labels and deleted', requestBody: { required: true, content: json({ type: 'object', properties: { provider: { type: 'string', enum: ['hetzner', 'digital-ocean'] }, location: { type: 'string' } }, required: ['provider'], additionalProperties: false }) }, responses: { 202: { description: 'Build accepted; follow it at /v1/snapshot-builds/{id}', content: json(snapshotBuildSchema) }, 400: problem('Invalid input; `errors` names each field (provider, location)') } },
        get: { operationId: 'listSnapshots', summary: 'Snapshots this installation built, across configured clouds; `current` when the bootstrap version matches', parameters: [q('provider', { type: 'string', enum: ['hetzner', 'digital-ocean'] })], responses: { 200: { description: 'Snapshots', content: json({ type: 'object', properties: { items: { type: 'array', items: snapshotSchema } }, required: ['items'] }) }, 400: problem('Invalid provider') } },
      },
      '/v1/snapshots/prune': { post: { operationId: 'pruneSnapshots', summary: 'Delete our snapshots except the newest per provider and bootstrap version', parameters: [q('provider', { type: 'string', enum: ['hetzner', 'digital-ocean'] })], responses: { 200: { description: 'Deleted and kept snapshots', content: json({ type: 'object', properties: { deleted: { type: 'array', items: snapshotSchema }, kept: { type: 'array', items: snapshotSchema } } }) }, 400: problem('Invalid provider') } } },
      '/v1/snapshots/{provider}/{id}': { delete: { operationId: 'deleteSnapshot', parameters: [{ name: 'provider', in: 'path', required: true, schema: { type: 'string', enum: ['hetzner', 'digital-ocean'] } }, { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } }], responses: { 204: { description: 'Deleted' }, 400: problem('Invalid provider or id'), 404: problem('Not one of our snapshots') } } },
      '/v1/snapshot-builds': { get: { operationId: 'listSnapshotBuilds', responses: { 200: { description: 'Recent builds, newest first', content: json({ type: 'object', properties: { items: { type: 'array', items: snapshotBuildSchema } } }) } } } },
      '/v1/snapshot-builds/{id}': { get: { operationId: 'getSnapshotBuild', parameters: [idParam], responses: { 200: { description: 'The build with its progress events', content: json(snapshotBuildSchema) }, 404: problem('No such build') } } },
      '/v1/snapshot-builds/{id}/ready': { post: { operationId: 'snapshotBuildReady', security: [], summary: 'The builder server reports (Authorization: Bearer <build token>)', parameters: [idParam], requestBody: { required: true, content: json({ type: 'object', properties: { ok: { type: 'boolean' }, bootstrapVersion: { type: 'string' }, message: { type: 'string' } }, required: ['ok'] }) }, responses: { 200: { description: 'Recorded', content: json({ type: 'object' }) }, 400: problem('Invalid body'), 401: problem('Missing or wrong build token') } } },
      '/v1/reconcile': { post: { operationId: 'reconcile', description: 'One reconciler pass now: adopt, delete duplicates, fail instances whose server vanished, mark and later delete orphans, resume lost work.', responses: { 200: { description: 'What the pass did', content: json({ type: 'object' }) }, 409: problem('Another replica holds the reconciler lease') } } },
      '/healthz': { get: { operationId: 'health', security: [], responses: { 200: { description: 'Up', content: json({ type: 'object' }) } } } },
      '/metrics': { get: { operationId: 'metrics', security: [], responses: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
  };
  return doc;
}
