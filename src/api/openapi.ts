import { z } from 'zod';
import { RELEASE_VERSION } from '../domain/releases.ts';
import { CostsQuery, ProjectParam, SetBudget } from './budget-schemas.ts';
import * as I from './inputs.ts';
import * as R from './reach/inputs.ts';
import { CreateInstance, Enroll, ExtendInstance, ListQuery, ProviderName, RESPONSES, StopInstance } from './schemas.ts';
import { CreateKey, CreateProject, ProjectName } from './schemas-tenancy.ts';
import { AUDIT_PATHS } from './openapi-audit.ts';
import { PoolName, PutPool } from './pool-schemas.ts';
import { WEBHOOK_PATHS } from './openapi-webhooks.ts';

type Json = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1), as a client sends it. */
const schema = (s: z.ZodType): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};
/** The response components: JSON Schema of what the server sends (closed objects unless a schema says otherwise). */
const responseSchemas = (): Json => {
  const { schemas } = z.toJSONSchema(RESPONSES, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...rest }]) => [id, rest]));
};
/** One query parameter per key of a zod object. */
const query = (s: z.ZodObject): Json[] => {
  const js = schema(s) as { properties: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties).map(([name, p]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: p, ...(typeof p.description === 'string' ? { description: p.description } : {}) }));
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (s: Json) => ({ 'application/json': { schema: s } });
const body = (s: Json, required = true) => ({ required, content: json(s) });
const ok = (description: string, s: Json) => ({ description, content: json(s) });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const path = (name: string, s: Json, description?: string) => ({ name, in: 'path', required: true, schema: s, ...(description ? { description } : {}) });

const instanceId = path('id', { type: 'string', format: 'uuid' }, 'the instance id (anything else is a 404)');
const buildId = path('id', { type: 'string', format: 'uuid' }, 'the snapshot build id');
const hostRef = path('ref', { type: 'string', minLength: 1, maxLength: 253 }, 'the host id or name');
const providerParam = path('provider', schema(ProviderName));
const serviceParam = path('provider', schema(I.CredentialService), 'a cloud or the tailnet');
const versionParam = path('version', { type: 'string', pattern: RELEASE_VERSION.source, maxLength: 64 }, 'a release version, MAJOR.MINOR.PATCH[-tag]');
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200, pattern: '^[\\x20-\\x7e]*$' }, description: 'Same key and body → the first response again; different body → 422; still running → 409' };
const lastEventId = { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', pattern: '^\\d{1,15}$' }, description: 'Resume after this event id (SSE); anything but a non-negative integer is a 400 naming the header' };

/** Who may call: the API key (the default), nobody in particular, an agent, a snapshot builder. */
const PUBLIC: Json[] = [];
const AGENT = [{ agentKey: [] }];
const BUILDER = [{ buildToken: [] }];

const notFound = problem('No such object (an id of the wrong shape is a 404 too)');
const invalid = problem('Invalid input; `errors` names each field');
const notConnected = problem('The agent is not connected');
const agentTimeout = problem('The agent did not answer in time');
const agentFailed = problem('The command failed on the agent');
const cloudFailed = problem('A cloud API failed (its code is kept)');

const eventsResponse = { description: 'Events (JSON page, or with Accept: text/event-stream a stream that replays then follows)', content: { ...json(ref('EventPage')), 'text/event-stream': { schema: { type: 'string' } } } };

const paths: Record<string, Record<string, Json>> = {
  '/livez': { get: { operationId: 'livez', tags: ['system'], security: PUBLIC, summary: 'The process answers', responses: { 200: ok('Alive', ref('Alive')) } } },
  '/healthz': { get: { operationId: 'health', tags: ['system'], security: PUBLIC, summary: 'Ready: the database and the job queue answer', responses: { 200: ok('Up', ref('Ready')), 503: problem('The database or the job queue does not answer') } } },
  '/readyz': { get: { operationId: 'ready', tags: ['system'], security: PUBLIC, summary: 'Ready: the database and the job queue answer', responses: { 200: ok('Up', ref('Ready')), 503: problem('The database or the job queue does not answer') } } },
  '/metrics': { get: { operationId: 'metrics', tags: ['system'], security: [{ apiKey: [] }, {}], summary: 'Prometheus metrics; an API key unless HANGAR_METRICS_PUBLIC=1', responses: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } }, 401: problem('Missing or invalid API key') } } },
  '/openapi.json': { get: { operationId: 'openApi', tags: ['system'], security: PUBLIC, summary: 'This document', responses: { 200: ok('OpenAPI 3.1', { type: 'object', properties: { openapi: { type: 'string' }, paths: { type: 'object' } }, required: ['openapi', 'paths'] }) } } },
  '/v1/inventory': { get: { operationId: 'ansibleInventory', tags: ['instances'], summary: 'The Ansible dynamic inventory of the project: groups by project, provider, location, workload, status and label; host vars in _meta (addresses, server type, agent version; never a secret)', responses: { 200: ok('What an inventory script prints for --list', ref('Inventory')) } } },
  '/v1/reconcile': { post: { operationId: 'reconcile', tags: ['system'], summary: 'One reconciler pass now: adopt, delete duplicates, fail instances whose server vanished, mark and later delete orphans, resume lost work.', responses: { 200: ok('What the pass did', ref('ReconcileReport')), 409: problem('Another replica holds the reconciler lease') } } },

  '/v1/instances': {
    post: {
      operationId: 'createInstance',
      tags: ['instances'],
      summary: 'Create an instance (intent is stored before any cloud call)',
      parameters: [idempotencyKey, ...query(I.CreateQuery)],
      requestBody: body(ref('CreateInstance')),
      responses: { 200: ok('The plan and redacted user-data (dryRun=true)', ref('Plan')), 201: ok('Created', ref('Instance')), 400: invalid, 402: problem('The monthly budget would be exceeded (cap, currency, projected, price name the figures)'), 404: problem('Provider not configured'), 409: problem('A request with this Idempotency-Key is still in progress'), 422: problem('Idempotency-Key reused with a different body'), 502: cloudFailed },
    },
    get: { operationId: 'listInstances', tags: ['instances'], summary: 'List instances, newest first', parameters: query(ListQuery), responses: { 200: ok('A page', ref('InstancePage')), 400: problem('Invalid query (a cursor this API did not return, an unknown status)') } },
  },
  '/v1/instances/{id}': {
    get: { operationId: 'getInstance', tags: ['instances'], parameters: [instanceId], responses: { 200: ok('The instance', ref('Instance')), 404: notFound } },
    delete: { operationId: 'destroyInstance', tags: ['instances'], summary: 'Destroy: stopping now, stopped when the provider says the server is gone', parameters: [instanceId], responses: { 202: ok('Stopping', ref('Instance')), 404: notFound, 409: problem('Not in a state that can be destroyed') } },
  },
  '/v1/instances/{id}/events': { get: { operationId: 'instanceEvents', tags: ['events'], summary: 'The append-only event log; with Accept: text/event-stream, replays then follows (Last-Event-ID resumes)', parameters: [instanceId, lastEventId, ...query(I.EventsQuery)], responses: { 200: eventsResponse, 400: invalid, 404: notFound, 503: problem('This replica serves its maximum of streams; retry (Retry-After)') } } },
  '/v1/instances/{id}/stop': { post: { operationId: 'stopInstance', tags: ['instances'], summary: 'Stop (hibernate): power off → image → delete the server (clouds; only the image bills); keepServer: power off only; local/ssh: stop the agent and workload. 202 hibernating, then hibernated.', parameters: [instanceId], requestBody: body(schema(StopInstance), false), responses: { 202: ok('Hibernating', ref('Instance')), 400: invalid, 404: notFound, 409: problem('Not running (only a running instance can be stopped), or the server cannot be powered off') } } },
  '/v1/instances/{id}/start': { post: { operationId: 'startInstance', tags: ['instances'], summary: 'Start a stopped (hibernated) instance: from its image (or its kept server), through enroll → running; the image is deleted once it runs.', parameters: [instanceId], responses: { 202: ok('Provisioning', ref('Instance')), 404: notFound, 409: problem('Not stopped (hibernated)') } } },
  '/v1/instances/{id}/extend': { post: { operationId: 'extendInstance', tags: ['instances'], summary: 'Extend the TTL by a duration, from the current deadline (or now)', parameters: [instanceId], requestBody: body(schema(ExtendInstance)), responses: { 200: ok('The instance with its new expiresAt', ref('Instance')), 400: invalid, 404: notFound, 409: problem('The instance is stopping or gone') } } },
  '/v1/events': { get: { operationId: 'allEvents', tags: ['events'], summary: 'Every instance’s events (JSON or SSE)', parameters: [lastEventId, ...query(I.EventsQuery)], responses: { 200: eventsResponse, 400: invalid, 503: problem('This replica serves its maximum of streams; retry (Retry-After)') } } },

  '/v1/instances/{id}/ssh': { get: { operationId: 'instanceShell', tags: ['operations'], summary: 'A WebSocket: a shell (PTY) on the server, relayed over the agent’s connection; off unless the instance was created with config {"exec": true}. Binary messages are terminal bytes; text messages {type:"resize",cols,rows} | {type:"eof"} from the client, {type:"exit",code} | {type:"error",message} from Hangar. A browser passes ?ticket= (POST …/tickets) instead of the bearer key. Audited (who, when, exit code; no content).', parameters: [instanceId, ...query(R.SshQuery)], responses: { 101: { description: 'Switching to the WebSocket protocol' }, 400: invalid, 403: problem('exec is not enabled for this instance'), 404: notFound, 409: notConnected, 426: problem('Not a WebSocket upgrade request'), 429: problem('The agent has its maximum of streams open'), 502: problem('The agent could not open the terminal'), 504: agentTimeout } } },
  '/v1/instances/{id}/port-forward': { get: { operationId: 'instancePortForward', tags: ['operations'], summary: 'A WebSocket carrying one TCP connection to a port on the server’s 127.0.0.1, relayed over the agent’s connection (hangar port-forward). Binary messages are the bytes.', parameters: [instanceId, ...query(R.PortForwardQuery)], responses: { 101: { description: 'Switching to the WebSocket protocol' }, 400: invalid, 404: notFound, 409: notConnected, 426: problem('Not a WebSocket upgrade request'), 429: problem('The agent has its maximum of streams open'), 502: problem('Nothing listens on that port on the server'), 504: agentTimeout } } },
  '/v1/instances/{id}/tickets': { post: { operationId: 'instanceTicket', tags: ['operations'], summary: `A short-lived link for a browser, which cannot send a bearer header: the terminal WebSocket (purpose terminal), or the proxied workload UI (purpose proxy: opening the link sets an HttpOnly cookie scoped to /v1/instances/{id}/proxy/). Valid for 60 s, for this instance only.`, parameters: [instanceId], requestBody: body(schema(R.TicketBody)), responses: { 200: ok('The link', { type: 'object', properties: { url: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } }, required: ['url', 'expiresAt'], additionalProperties: false }), 400: invalid, 404: notFound } } },
  '/v1/instances/{id}/proxy': { get: { operationId: 'instanceProxy', tags: ['operations'], summary: 'The workload’s own web UI (its uiPort, or the OpenClaw gateway port) on the server’s loopback, relayed over the agent’s connection: /v1/instances/{id}/proxy/… forwards HTTP and WebSocket requests there, without Hangar’s credentials. Callers: the bearer key, or the proxy cookie a tickets link sets. This path redirects to …/proxy/.', parameters: [instanceId], responses: { 308: { description: 'To /v1/instances/{id}/proxy/' } } } },
  '/v1/instances/{id}/status': { get: { operationId: 'instanceStatus', tags: ['operations'], summary: 'Lifecycle, connection, heartbeat and versions from the control plane, plus the agent’s own report (agent: null when it is not connected) and the latest smoke test (lastSmoke: { result, detail, at, actor } or null). Audited.', parameters: [instanceId], responses: { 200: ok('Status', ref('InstanceStatus')), 404: notFound, 409: notConnected, 504: agentTimeout } } },
  '/v1/instances/{id}/doctor': { post: { operationId: 'instanceDoctor', tags: ['operations'], summary: 'Run the agent’s checks (disk, memory, clock skew, Docker, Tailscale, firewall, workload health, secret file permissions): { status, checks: [{ name, status: pass|warn|fail, detail, hint }] }. Audited.', parameters: [instanceId], responses: { 200: ok('Checks', ref('DoctorReport')), 404: notFound, 409: notConnected, 502: agentFailed, 504: agentTimeout } } },
  '/v1/instances/{id}/logs': { get: { operationId: 'instanceLogs', tags: ['operations'], summary: 'The last lines of the agent’s, the bootstrap’s or the workload’s log: { unit, lines }. Audited.', parameters: [instanceId, ...query(I.LogsQuery)], responses: { 200: ok('Log lines', ref('Logs')), 400: invalid, 404: notFound, 409: notConnected, 502: agentFailed, 504: agentTimeout } } },
  '/v1/instances/{id}/smoke': { post: { operationId: 'instanceSmoke', tags: ['operations'], summary: 'Run the workload’s smoke test (or its health check once): { result: pass|fail, detail }. Counted in hangar_smoke_total; also run by the smoke timer every HANGAR_SMOKE_INTERVAL_SECONDS. Audited.', parameters: [instanceId], responses: { 200: ok('Result', ref('SmokeResult')), 404: notFound, 409: notConnected, 502: agentFailed, 504: agentTimeout } } },
  '/v1/instances/{id}/restart': { post: { operationId: 'instanceRestart', tags: ['operations'], summary: 'Restart the workload (or the agent, where a supervisor restarts it) and wait for healthy. Audited.', parameters: [instanceId], requestBody: body(schema(I.RestartBody), false), responses: { 200: ok('Restarted and healthy', ref('RestartResult')), 400: invalid, 404: notFound, 409: notConnected, 502: agentFailed, 504: problem('The agent did not answer, or did not come back healthy in time') } } },
  '/v1/instances/{id}/exec': { post: { operationId: 'instanceExec', tags: ['operations'], summary: 'Run a command (argv, no shell) on the server; off unless the instance was created with config {"exec": true}. Output truncated to 16 KiB per stream. Audited.', parameters: [instanceId], requestBody: body(schema(I.ExecBody)), responses: { 200: ok('exitCode, stdout, stderr, timedOut', ref('ExecResult')), 400: invalid, 403: problem('exec is not enabled for this instance, or the agent refused it'), 404: notFound, 409: notConnected, 504: agentTimeout } } },
  '/v1/instances/{id}/agent-update': { post: { operationId: 'instanceAgentUpdate', tags: ['operations'], summary: 'Ask the agent to check for its target release now: { ok, data: { staged, detail } }. Audited.', parameters: [instanceId], responses: { 200: ok('What the agent did', ref('AgentUpdateResult')), 404: notFound, 409: notConnected, 504: agentTimeout } } },

  '/v1/providers': { get: { operationId: 'listProviders', tags: ['providers'], responses: { 200: ok('Configured providers and how their credentials are given', ref('ProviderList')) } } },
  '/v1/providers/{provider}/server-types': { get: { operationId: 'listServerTypes', tags: ['providers'], parameters: [providerParam, ...query(I.RefreshQuery)], responses: { 200: ok('Server types with prices per location', ref('ServerTypeList')), 400: invalid, 404: problem('Provider not configured'), 502: cloudFailed } } },
  '/v1/providers/{provider}/locations': { get: { operationId: 'listLocations', tags: ['providers'], parameters: [providerParam, ...query(I.RefreshQuery)], responses: { 200: ok('Locations', ref('LocationList')), 400: invalid, 404: problem('Provider not configured'), 502: cloudFailed } } },
  '/v1/providers/{provider}/credentials': {
    put: { operationId: 'putCredentials', tags: ['providers'], description: 'Store a token (and optional endpoint; tailnet for tailscale) for hetzner, digital-ocean or tailscale, sealed at rest; overrides the environment; never returned.', parameters: [serviceParam], requestBody: body(schema(I.CredentialsBody)), responses: { 204: { description: 'Stored; the provider is (re)configured on every replica' }, 400: invalid } },
    delete: { operationId: 'deleteCredentials', tags: ['providers'], parameters: [serviceParam], responses: { 204: { description: 'Removed; the environment applies again' }, 400: invalid, 404: problem('Nothing stored') } },
  },

  '/v1/budget': {
    get: { operationId: 'getBudget', tags: ['budgets'], description: 'The monthly budgets that apply to the request\'s project (the installation\'s and the project\'s), with this month\'s spend.', responses: { 200: ok('Budgets', ref('BudgetState')) } },
    put: { operationId: 'setBudget', tags: ['budgets'], description: 'Set (monthly: null removes) the installation\'s monthly cap on projected spend. Creates that would pass it are refused with 402.', requestBody: body(schema(SetBudget)), responses: { 200: ok('Budgets', ref('BudgetState')), 400: invalid } },
  },
  '/v1/projects/{project}/budget': {
    put: { operationId: 'setProjectBudget', tags: ['budgets'], description: 'Set (monthly: null removes) a project\'s monthly cap (project owners).', parameters: [path('project', schema(ProjectParam.shape.project))], requestBody: body(schema(SetBudget)), responses: { 200: ok('Budgets', ref('BudgetState')), 400: invalid, 404: problem('Not your project') } },
  },
  '/v1/costs': {
    get: { operationId: 'getCosts', tags: ['budgets'], description: 'Spend so far this month, projected month and per instance (Hetzner and DigitalOcean bill started hours, capped at the monthly price).', parameters: query(CostsQuery), responses: { 200: ok('Costs', ref('Costs')), 400: invalid } },
  },
  '/v1/ssh-hosts': {
    get: { operationId: 'listSshHosts', tags: ['ssh-hosts'], description: 'Servers users bring (the ssh provider); keys are never returned.', responses: { 200: ok('Hosts', ref('SshHostList')), 404: problem('The ssh provider is off') } },
    post: { operationId: 'registerSshHost', tags: ['ssh-hosts'], description: 'Register a host; ?probe=true connects and checks it first (and keeps nothing when that fails).', parameters: query(I.ProbeQuery), requestBody: body(schema(I.RegisterSshHost)), responses: { 201: ok('Registered (with the probe, or probe: null)', ref('SshHostProbed')), 400: invalid, 404: problem('The ssh provider is off'), 409: problem('Name taken'), 422: problem('The probe failed because of a given field (privateKey, hostKey, address, port)'), 502: problem('The probe failed for another reason') } },
  },
  '/v1/ssh-hosts/{ref}': {
    get: { operationId: 'getSshHost', tags: ['ssh-hosts'], parameters: [hostRef], responses: { 200: ok('Host', ref('SshHost')), 404: problem('Unknown host') } },
    delete: { operationId: 'unregisterSshHost', tags: ['ssh-hosts'], description: 'Unregister (never touches the host); ?force=true while in use.', parameters: [hostRef, ...query(I.ForceQuery)], responses: { 204: { description: 'Unregistered' }, 404: problem('Unknown host'), 409: problem('In use') } },
  },
  '/v1/ssh-hosts/{ref}/probe': { post: { operationId: 'probeSshHost', tags: ['ssh-hosts'], parameters: [hostRef], responses: { 200: ok('The host with its fingerprint, OS and architecture', ref('SshHostProbed')), 404: problem('Unknown host'), 422: problem('The probe failed because of a given field'), 502: problem('The probe failed for another reason') } } },

  '/v1/snapshots': {
    post: { operationId: 'buildSnapshot', tags: ['snapshots'], summary: 'Start a snapshot build: a builder server runs the full install, reports ready, is powered off, imaged with labels and deleted', requestBody: body(schema(I.StartSnapshotBuild)), responses: { 202: ok('Build accepted; follow it at /v1/snapshot-builds/{id}', ref('SnapshotBuild')), 400: invalid, 404: problem('Cloud not configured'), 502: cloudFailed } },
    get: { operationId: 'listSnapshots', tags: ['snapshots'], summary: 'Snapshots this installation built, across configured clouds; `current` when the bootstrap version matches', parameters: query(I.SnapshotProviderQuery), responses: { 200: ok('Snapshots', ref('SnapshotList')), 400: invalid, 404: problem('Cloud not configured'), 502: cloudFailed } },
  },
  '/v1/snapshots/prune': { post: { operationId: 'pruneSnapshots', tags: ['snapshots'], summary: 'Delete our snapshots except the newest per provider and bootstrap version', parameters: query(I.SnapshotProviderQuery), responses: { 200: ok('Deleted and kept snapshots', ref('SnapshotPrune')), 400: invalid, 404: problem('Cloud not configured'), 502: cloudFailed } } },
  '/v1/snapshots/{provider}/{id}': { delete: { operationId: 'deleteSnapshot', tags: ['snapshots'], parameters: [path('provider', schema(I.CloudName)), path('id', { type: 'string', pattern: '^\\d{1,20}$' })], responses: { 204: { description: 'Deleted' }, 400: invalid, 404: problem('Not one of our snapshots'), 502: cloudFailed } } },
  '/v1/snapshot-builds': { get: { operationId: 'listSnapshotBuilds', tags: ['snapshots'], responses: { 200: ok('Recent builds, newest first', ref('SnapshotBuildList')) } } },
  '/v1/snapshot-builds/{id}': { get: { operationId: 'getSnapshotBuild', tags: ['snapshots'], parameters: [buildId], responses: { 200: ok('The build with its progress events', ref('SnapshotBuild')), 404: notFound } } },
  '/v1/snapshot-builds/{id}/ready': { post: { operationId: 'snapshotBuildReady', tags: ['snapshots'], security: BUILDER, summary: 'The builder server reports', parameters: [buildId], requestBody: body(schema(I.SnapshotReady)), responses: { 200: ok('Recorded', ref('SnapshotBuildRecorded')), 400: invalid, 401: problem('Missing or wrong build token'), 404: notFound } } },

  '/v1/agents/enroll': { post: { operationId: 'enrollAgent', tags: ['agents'], security: PUBLIC, summary: 'Exchange a one-time bootstrap token for an agent identity', requestBody: body(ref('Enroll')), responses: { 200: ok('Agent id, key, workload plan (the agent’s own protocol: not part of the clients’ contract)', { type: 'object' }), 400: invalid, 401: problem('Unknown, used or expired token') } } },
  '/v1/agent/bundle': { get: { operationId: 'agentBundle', tags: ['agents'], security: PUBLIC, responses: { 200: { description: 'The agent, one JavaScript file', content: { 'text/javascript': { schema: { type: 'string' } } } } } } },
  '/v1/agents/update': { get: { operationId: 'agentUpdateOffer', tags: ['agents'], security: AGENT, description: 'An agent asks which release to run.', parameters: query(I.AgentUpdateQuery), responses: { 200: ok('version, sha256, signature, size, url', ref('ReleaseOffer')), 204: { description: 'Stay on the current version' }, 400: invalid, 401: problem('Bad agent key') } } },
  '/v1/agents/releases/{version}/bundle': { get: { operationId: 'agentReleaseBundle', tags: ['agents'], security: AGENT, description: 'An approved release’s bundle, for agents.', parameters: [versionParam], responses: { 200: { description: 'The bundle', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, 401: problem('Bad agent key'), 404: problem('Not approved') } } },

  '/v1/pools': { get: { operationId: 'listPools', tags: ['pools'], description: 'Warm pools of the project: servers kept booted with the agent connected, claimed by matching creates.', responses: { 200: ok('Pools', ref('PoolList')) } } },
  '/v1/pools/{name}': {
    put: { operationId: 'putPool', tags: ['pools'], description: 'Create or change a warm pool (and resume a paused one).', parameters: [path('name', schema(PoolName))], requestBody: body(schema(PutPool)), responses: { 200: ok('The pool', ref('Pool')), 400: invalid } },
    delete: { operationId: 'deletePool', tags: ['pools'], description: 'Delete a pool; its unclaimed servers are destroyed.', parameters: [path('name', schema(PoolName))], responses: { 204: { description: 'Deleted' }, 404: problem('Unknown pool') } },
  },
  '/v1/agents/workload': { get: { operationId: 'agentWorkload', tags: ['agents'], security: AGENT, description: 'A claimed pool member’s agent fetches its workload plan.', responses: { 200: ok('The workload plan (the agent’s own protocol)', { type: 'object' }), 401: problem('Bad agent key'), 409: problem('Not claimed yet') } } },
  '/v1/api-budget': { get: { operationId: 'listApiBudgets', tags: ['pools'], description: 'The shared cloud-API budget: one bucket per vendor account, all replicas together.', responses: { 200: ok('Buckets', ref('ApiBudgetList')) } } },
  '/v1/agent-releases': {
    get: { operationId: 'listAgentReleases', tags: ['releases'], description: 'Agent releases with their state (published, canary, approved, revoked) and how many live agents run each; trustedKeys counts HANGAR_RELEASE_KEYS.', responses: { 200: ok('Releases', ref('ReleaseList')) } },
    post: { operationId: 'publishAgentRelease', tags: ['releases'], description: 'Publish a bundle (base64) signed with an ed25519 key listed in HANGAR_RELEASE_KEYS over "hangar-agent-release v1\\n<version>\\n<sha256 hex>". It reaches no agent until approved.', requestBody: body(schema(I.PublishRelease)), responses: { 201: ok('Published', ref('Release')), 400: problem('Bad version, bundle or signature (named in errors)'), 409: problem('No trusted key configured, or the version exists with other contents') } },
  },
  '/v1/agent-releases/{version}': { get: { operationId: 'getAgentRelease', tags: ['releases'], parameters: [versionParam], responses: { 200: ok('Release', ref('Release')), 404: problem('Unknown release') } } },
  '/v1/agent-releases/{version}/approve': { post: { operationId: 'approveAgentRelease', tags: ['releases'], description: 'Let agents run this release (the most recently approved, unrevoked release is every agent’s target); canaryPercent limits it to a stable share of agents; an older version than the newest approved one needs allowDowngrade. Connected agents are asked to check at once.', parameters: [versionParam], requestBody: body(schema(I.ApproveRelease), false), responses: { 200: ok('Approved', ref('Release')), 400: invalid, 404: problem('Unknown release'), 409: problem('Revoked, or a downgrade without allowDowngrade') } } },
  '/v1/projects': {
    get: { operationId: 'listProjects', tags: ['tenancy'], description: 'The projects the caller may act in (an admin: all; a project key: its own), with their live instance counts.', responses: { 200: ok('Projects', ref('ProjectList')) } },
    post: { operationId: 'createProject', tags: ['tenancy'], description: 'Create a project (installation admins). Names are DNS labels and never reused.', requestBody: body(schema(CreateProject)), responses: { 201: ok('Created', ref('Project')), 400: invalid, 409: problem('The name exists or existed') } },
  },
  '/v1/projects/{name}': { delete: { operationId: 'deleteProject', tags: ['tenancy'], description: 'Remove a project (installation admins): refused while it has live instances; its keys are revoked.', parameters: [path('name', schema(ProjectName))], responses: { 204: { description: 'Removed' }, 404: problem('Unknown project'), 409: problem('It still has live instances (the count is named), or it is the default project') } } },
  '/v1/keys': {
    get: { operationId: 'listKeys', tags: ['tenancy'], description: "The project's API keys (for an admin also the installation admin keys): never a key or its hash.", responses: { 200: ok('Keys', ref('ApiKeyList')) } },
    post: { operationId: 'createKey', tags: ['tenancy'], description: "Mint an API key in the request's project (role admin: an installation admin key, admins only). Never a role above the caller's. The key is in this response only.", requestBody: body(schema(CreateKey)), responses: { 201: ok('Created (with the key, once)', ref('ApiKeyCreated')), 400: invalid } },
  },
  '/v1/keys/{id}': { delete: { operationId: 'revokeKey', tags: ['tenancy'], description: 'Revoke a key: it stops working on the next request, on every replica.', parameters: [path('id', { type: 'string', format: 'uuid' })], responses: { 204: { description: 'Revoked' }, 404: problem('Unknown key (or one of another project)') } } },
  '/v1/agent-releases/{version}/revoke': { post: { operationId: 'revokeAgentRelease', tags: ['releases'], description: 'Withdraw a release: agents on it move to the previously approved one.', parameters: [versionParam], responses: { 200: ok('Revoked', ref('Release')), 404: problem('Unknown release') } } },
  ...AUDIT_PATHS,
  ...WEBHOOK_PATHS,
};

/** Answers every operation may give besides its own (the caller, the Host check, the throttle). */
function withCommon(op: Json): Json {
  const secured = !Array.isArray(op.security) || op.security.length > 0;
  const responses = op.responses as Json;
  const common: Json = {
    ...(secured ? { 401: problem('Missing or invalid credentials'), 429: problem('Too many failed authentication attempts from this address (Retry-After)') } : {}),
    403: problem(secured ? 'The key lacks the role this needs, or a cross-origin browser request' : 'A cross-origin browser request'),
    421: problem('A Host this Hangar does not answer to (HANGAR_ALLOWED_HOSTS)'),
  };
  return { ...op, responses: { ...common, ...responses } };
}

let doc: Json | null = null;

/**
 * The OpenAPI 3.1 description of the whole API, served at `/openapi.json`: every route the app
 * registers (openapi.test.ts checks), its parameters and bodies generated from the zod schemas the
 * routes parse with, and who may call it (`security`).
 *
 * @example
 * const ops = Object.keys(openApiDocument().paths as object); // ['/livez', '/healthz', …]
 */
export function openApiDocument(): Json {
  doc ??= {
    openapi: '3.1.0',
    info: { title: 'Hangar API', version: '0.1.0', description: 'Provision, connect and operate AI-agent servers. Errors are RFC 9457 problem details (application/problem+json); validation errors name each field in `errors`.' },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    tags: ['system', 'instances', 'events', 'operations', 'providers', 'ssh-hosts', 'snapshots', 'agents', 'releases', 'tenancy', 'audit', 'pools', 'budgets', 'webhooks'].map((name) => ({ name })),
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, hgr_…: an installation admin key, or a project key holding a role (viewer, operator, releaser, owner). Admins pick the project with the X-Hangar-Project header (default: default); another project’s objects are 404s.' },
        agentKey: { type: 'http', scheme: 'bearer', description: 'An enrolled agent: <agentId>:<agentKey>' },
        buildToken: { type: 'http', scheme: 'bearer', description: 'The build token of the snapshot build in the path' },
      },
      schemas: { CreateInstance: schema(CreateInstance), Enroll: schema(Enroll), ...responseSchemas() },
    },
    paths: Object.fromEntries(Object.entries(paths).map(([p, ops]) => [p, Object.fromEntries(Object.entries(ops).map(([m, op]) => [m, withCommon(op)]))])),
  };
  return doc;
}
