import { tailscaleTagError } from '../domain/tailnet-tags.ts';
import { z } from 'zod';
import { storableJson, storableText } from './text.ts';
import { ENROLL_PROOF_HASH_PATTERN, ENROLL_PROOF_PATTERN } from '../domain/enroll-proof.ts';
import { CONNECTION, LIFECYCLE, STEPS } from '../domain/lifecycle.ts';
import { MAX_LIFETIME_SECONDS, parseDuration } from '../domain/lifetimes.ts';
import { Budget, BudgetState, Costs } from './budget-schemas.ts';

export const ProviderName = z.enum(['local', 'hetzner', 'digital-ocean', 'ssh']);
export const WorkloadKind = z.enum(['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose']);

/** `POST /v1/instances` body. */
/** A duration: `8h`, `30m`, `1h30m`, `2d`, or seconds (a number); as seconds. */
export const Duration = z
  .union([z.number().int().min(0), z.string().max(32)])
  .transform((v, ctx) => {
    const s = typeof v === 'number' ? v : parseDuration(v);
    if (s === null || s > MAX_LIFETIME_SECONDS) {
      ctx.addIssue({ code: 'custom', message: s === null ? 'must be a duration like 8h, 30m, 1h30m, 2d or seconds' : `at most ${MAX_LIFETIME_SECONDS} seconds (365d)` });
      return z.NEVER;
    }
    return s;
  })
  .meta({ description: 'a duration: 8h, 30m, 1h30m, 2d, or seconds' });

/** `POST /v1/instances/:id/stop`. */
export const StopInstance = z.object({ keepServer: z.boolean().default(false).describe('power off only: the server (and its bill) stays; default: hibernate (power off, image, delete the server)') }).strict();
/** `POST /v1/instances/:id/extend`. */
export const ExtendInstance = z.object({ by: Duration.describe('how much longer than its current deadline (or now, if past) the instance lives') }).strict();

export const CreateInstance = z
  .object({
    name: z
      .string()
      .min(1)
      .max(40)
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, dot, dash, underscore; must start with a letter or digit')
      .optional()
      .describe('display name; default <workload>-<first 8 hex of the id>, e.g. process-5aa2f4bc. The server name is hangar-<slug of the name, or the workload when unnamed>-<first 8 hex of the id>'),
    provider: ProviderName,
    location: z
      .union([storableText(z.string().min(1).max(64)), z.array(storableText(z.string().min(1).max(64))).min(1).max(10)])
      .optional()
      .describe('a location, or an ordered list to fall back through when the cloud has no capacity'),
    serverType: z
      .union([storableText(z.string().min(1).max(64)), z.array(storableText(z.string().min(1).max(64))).min(1).max(10)])
      .optional()
      .describe('a server type, or an ordered list to fall back through (each type at each location, in order)'),
    image: storableText(z.string().min(1).max(128)).optional(),
    workload: WorkloadKind.default('process'),
    /** Workload settings (seed 001's fields for agent-manager); secret fields are sealed at rest and never returned. */
    config: storableJson(z.record(z.string(), z.unknown())).default({}),
    tailscale: z.boolean().default(false),
    tailscaleTags: z.array(z.string().max(128).superRefine((t, ctx) => {
      const error = tailscaleTagError(t);
      if (error) ctx.addIssue({ code: 'custom', message: `${error} (Tailscale's rule)` });
    })).max(20).default([]),
    connectTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
    onFailure: z.enum(['destroy', 'keep']).optional(),
    ttl: Duration.optional().describe('destroy the instance this long after creation (8h, 30m, 1h30m, or seconds); default HANGAR_DEFAULT_TTL; 0: never'),
    idleStop: Duration.optional().describe('stop (hibernate) the instance after this long without workload activity; default HANGAR_DEFAULT_IDLE_STOP; 0: never'),
  })
  .strict();
export type CreateInstance = z.infer<typeof CreateInstance>;

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: storableText(z.string().max(200)).optional(),
  status: storableText(z.string().max(200)).optional(),
  provider: ProviderName.optional(),
});

export const Enroll = z.object({
  token: z.string().min(10).max(200),
  instanceId: z.uuid().optional(),
  version: storableText(z.string().max(50)).optional(),
  hostname: storableText(z.string().max(255)).optional(),
  /** Deprecated (agents before enrollment binding): accepted on a first enrollment, never enough to enroll again. */
  nonce: z.string().min(16).max(200).optional(),
  /** SHA-256 (64 lowercase hex) of a fresh secret the agent keeps: binds the enrollment this request makes to that agent. */
  proofHash: z.string().regex(ENROLL_PROOF_HASH_PATTERN, 'must be a SHA-256 in lowercase hex (64 characters)').optional(),
  /** The secret whose hash an earlier request of this agent sent: needed to enroll again with a spent token. */
  proof: z.string().regex(ENROLL_PROOF_PATTERN, 'must be 32 random bytes in base64url (43 characters)').optional(),
});

// ── Responses ────────────────────────────────────────────────────────────────
// What the server answers, one schema per shape (serialize.ts, the routes, the engine's reports):
// the OpenAPI document's response components and, through it, the clients' generated contract
// (src/api/contract/schema.d.ts). Server-made shapes are closed (an undocumented field fails
// openapi.test.ts); what an agent reports is open, since agents are updated on their own.

/** An RFC 3339 UTC instant, as every timestamp in the API. */
const instant = () => z.string().meta({ format: 'date-time' });
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('pass as ?cursor= (events: ?after=) for the next page; null on the last') });

export const Instance = z.object({
  id: z.uuid(),
  name: z.string(),
  serverName: z.string(),
  provider: ProviderName,
  location: z.string().nullable(),
  serverType: z.string().nullable(),
  image: z.string().nullable(),
  workload: WorkloadKind,
  config: z.record(z.string(), z.unknown()),
  secrets: z.array(z.string()).describe('names of the secret settings that are set; values are never returned'),
  status: z.enum(LIFECYCLE),
  step: z.enum(STEPS).nullable(),
  connection: z.enum(CONNECTION),
  bootstrapPath: z.string().nullable(),
  serverId: z.string().nullable(),
  ipv4: z.string().nullable(),
  ipv6: z.string().nullable(),
  tailscale: z.boolean(),
  tailnetName: z.string().nullable(),
  agentId: z.string().nullable(),
  agentVersion: z.string().nullable(),
  lastHeartbeatAt: instant().nullable(),
  workloadHealthy: z.boolean().nullable(),
  connectTimeoutSeconds: z.number(),
  onFailure: z.enum(['destroy', 'keep']),
  failureReason: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  monthlyPrice: z.number().nullable(),
  price: z.object({ hourly: z.number(), monthly: z.number(), currency: z.string() }).nullable().describe('the price of serverType at location as the cloud lists it (gross); 0 for local and ssh'),
  createdAt: instant(),
  updatedAt: instant(),
  runningAt: instant().nullable(),
  ttlSeconds: z.number().nullable(),
  expiresAt: instant().nullable().describe('when the TTL destroys the instance (moved by extend)'),
  idleStopSeconds: z.number().nullable(),
  idleStopAt: instant().nullable().describe('when idle stop hibernates the instance unless its workload is active before'),
  lastActiveAt: instant().nullable().describe('last workload activity the agent reported'),
  activity: z.record(z.string(), z.unknown()).nullable().describe("the agent's latest activity report (cpuPercent, connections, networkBytes, sessions)"),
  keepServer: z.boolean().nullable().describe('a stopped instance kept its (powered-off) server'),
});
export const InstancePage = page(Instance);

export const InstanceEvent = z.object({
  id: z.number(),
  instanceId: z.uuid(),
  at: instant(),
  actor: z.string(),
  kind: z.enum(['transition', 'connection', 'log', 'info', 'warning', 'error', 'budget_warning']),
  from: z.string().nullable(),
  to: z.string().nullable(),
  step: z.string().nullable(),
  reason: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});
export const EventPage = page(InstanceEvent);

/** RFC 9457 problem details; `code` keeps a cloud's or a probe's own error code. */
export const Problem = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  code: z.string().optional(),
});

/** `POST /v1/instances?dryRun=true`: what creating would do, with the exact user-data (token redacted). */
export const Plan = z.object({
  dryRun: z.literal(true),
  provider: ProviderName,
  serverName: z.string(),
  location: z.string().nullable(),
  serverType: z.string().nullable(),
  image: z.string().nullable(),
  bootstrapPath: z.enum(['full', 'snapshot']),
  bootstrapPathReason: z.string(),
  fallback: z.string().nullable(),
  workload: WorkloadKind,
  config: z.record(z.string(), z.unknown()),
  secrets: z.array(z.string()),
  steps: z.array(z.enum(STEPS)),
  tailscale: z.string(),
  providerCalls: z.object({ create: z.number(), delete: z.number() }),
  userDataBytes: z.number(),
  userDataLimit: z.number(),
  userData: z.string(),
});

export const ProviderInfo = z.object({ name: ProviderName, userDataLimit: z.number(), credentials: z.enum(['api', 'environment', 'none needed']), configured: z.literal(true) });
export const UnconfiguredProvider = z.object({ name: ProviderName, configured: z.literal(false), enable: z.string().describe('how to enable it: the environment variables to set, or the credentials to PUT') });
export const ProviderList = z.object({
  items: z.array(ProviderInfo).describe('the providers this server offers'),
  unconfigured: z.array(UnconfiguredProvider).describe('the known providers it does not offer, each with how to enable it'),
  tailnet: z.enum(['api', 'environment', 'not configured']),
});
export const Price = z.object({ location: z.string(), hourly: z.number(), monthly: z.number(), currency: z.string() });
export const ServerType = z.object({ name: z.string(), description: z.string().optional(), cores: z.number(), memoryGb: z.number(), diskGb: z.number(), architecture: z.string().optional(), prices: z.array(Price) });
export const ServerTypeList = z.object({ items: z.array(ServerType) });
export const Location = z.object({ name: z.string(), description: z.string().optional(), country: z.string().optional(), city: z.string().optional() });
export const LocationList = z.object({ items: z.array(Location) });

export const SshHostFacts = z.object({ os: z.string(), osVersion: z.string(), prettyName: z.string(), arch: z.string(), cores: z.number(), memoryGb: z.number(), diskGb: z.number(), systemd: z.boolean(), nodeVersion: z.string().nullable() });
/** A server you bring, as the API shows it: never its key or passphrase. */
export const SshHost = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  port: z.number(),
  user: z.string(),
  keyPath: z.string().nullable(),
  hostKey: z.string().nullable(),
  hostKeyTrust: z.enum(['pinned', 'tofu']),
  hostKeyRecordedAt: instant().nullable(),
  remoteRoot: z.string().nullable(),
  keepFiles: z.boolean(),
  labels: z.record(z.string(), z.string()),
  serverName: z.string().nullable(),
  state: z.enum(['free', 'provisioning', 'ready']),
  claimId: z.string().nullable().optional(),
  provisionedAt: instant().nullable(),
  facts: SshHostFacts.nullable(),
  createdAt: instant(),
  auth: z.enum(['key', 'keyPath']),
});
export const SshHostList = z.object({ items: z.array(SshHost) });
export const SshProbe = z.object({ fingerprint: z.string(), os: z.string(), osVersion: z.string(), prettyName: z.string(), arch: z.string(), facts: SshHostFacts });
/** A host with the probe just made (null when registered without one). */
export const SshHostProbed = SshHost.extend({ probe: SshProbe.nullable() });

export const Snapshot = z.object({ id: z.string(), name: z.string(), provider: z.string(), bootstrapVersion: z.string().nullable(), createdAt: z.string().nullable(), sizeGb: z.number().nullable(), locations: z.array(z.string()).nullable(), current: z.boolean() });
export const SnapshotList = z.object({ items: z.array(Snapshot) });
export const SnapshotPrune = z.object({ deleted: z.array(Snapshot), kept: z.array(Snapshot) });
export const SnapshotBuild = z.object({
  id: z.uuid(),
  provider: z.string(),
  location: z.string().nullable(),
  status: z.enum(['pending', 'building', 'imaging', 'done', 'failed']),
  bootstrapVersion: z.string(),
  serverId: z.string().nullable(),
  imageId: z.string().nullable(),
  error: z.string().nullable(),
  readyAt: instant().nullable(),
  deadlineAt: instant().nullable(),
  events: z.array(z.object({ at: z.string(), status: z.string(), message: z.string() })),
  createdAt: instant(),
  updatedAt: instant(),
});
export const SnapshotBuildList = z.object({ items: z.array(SnapshotBuild) });
export const SnapshotBuildRecorded = z.object({ id: z.uuid(), status: SnapshotBuild.shape.status, recorded: z.literal(true) });

/** A signed agent release and how many live agents run it. */
export const Release = z.object({
  version: z.string(),
  sha256: z.string(),
  signature: z.string(),
  size: z.number(),
  notes: z.string().nullable(),
  publishedAt: instant(),
  publishedBy: z.string().nullable(),
  approvedAt: instant().nullable(),
  approvedBy: z.string().nullable(),
  downgradeAllowedBy: z.string().nullable().describe('who approved it with allowDowngrade over a higher approved version'),
  canaryPercent: z.number(),
  revokedAt: instant().nullable(),
  status: z.enum(['published', 'canary', 'approved', 'revoked']),
  agents: z.number(),
});
export const ReleaseList = z.object({ items: z.array(Release), trustedKeys: z.number().describe('how many keys HANGAR_RELEASE_KEYS lists') });
/** What an agent is offered: enough to download and verify the bundle. */
export const ReleaseOffer = z.object({ version: z.string(), sha256: z.string(), signature: z.string(), size: z.number(), url: z.string() });

export const ReconcileReport = z.object({
  replica: z.string(),
  startedAt: instant(),
  durationMs: z.number(),
  providers: z.array(z.object({ name: z.string(), servers: z.number(), error: z.string().optional() })),
  adopted: z.array(z.string()),
  vanished: z.array(z.string()),
  orphansMarked: z.array(z.string()),
  orphansDeleted: z.array(z.string()),
  duplicatesDeleted: z.array(z.string()),
  leaksDeleted: z.array(z.string()).describe("servers of stopped instances and hibernation images no instance uses (an interrupted stop or start)"),
  resumed: z.array(z.string()),
});

// What agents report (open: an agent of another version may say more).
export const AgentStatus = z.looseObject({
  version: z.string(),
  pid: z.number(),
  uptimeSeconds: z.number(),
  hostname: z.string(),
  node: z.string(),
  platform: z.string(),
  workload: z.looseObject({ kind: z.string(), healthy: z.boolean().nullable(), detail: z.string().nullable(), checkedAt: z.string().nullable(), pid: z.number().nullable() }),
  connection: z.looseObject({ hubUrl: z.string(), connected: z.boolean(), since: z.string().nullable(), reconnects: z.number() }),
  tailnetName: z.string().nullable(),
  execEnabled: z.boolean(),
});
export const LastSmoke = z.object({ result: z.enum(['pass', 'fail']), detail: z.string().nullable(), at: instant(), actor: z.string() });
export const InstanceStatus = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(LIFECYCLE),
  step: z.enum(STEPS).nullable(),
  connection: z.enum(CONNECTION),
  lastHeartbeatAt: instant().nullable(),
  agentVersion: z.string().nullable(),
  workloadHealthy: z.boolean().nullable(),
  tailnetName: z.string().nullable(),
  hubReplica: z.string().nullable(),
  execEnabled: z.boolean(),
  lastSmoke: LastSmoke.nullable().describe('the latest smoke test (manual or timed); null if none ran'),
  agent: AgentStatus.nullable().describe("the agent's own report; null when it is not connected or did not answer"),
  agentError: z.string().optional(),
});
const Verdict = z.enum(['pass', 'warn', 'fail']);
export const DoctorCheck = z.looseObject({ name: z.string(), status: Verdict, detail: z.string(), hint: z.string().optional() });
export const DoctorReport = z.looseObject({ status: Verdict, checks: z.array(DoctorCheck) });
export const LogUnit = z.enum(['agent', 'bootstrap', 'workload']);
export const Logs = z.looseObject({ unit: LogUnit, lines: z.array(z.string()), omitted: z.number().optional().describe('lines left out to keep the answer small') });
export const SmokeResult = z.looseObject({ result: z.enum(['pass', 'fail']), kind: z.enum(['smoke', 'health']), argv: z.array(z.string()).optional(), detail: z.string(), durationMs: z.number() });
export const RestartResult = z.looseObject({
  target: z.enum(['workload', 'agent']),
  restarted: z.enum(['workload', 'agent']),
  healthy: z.boolean().optional(),
  detail: z.string().nullable().optional(),
  note: z.string().optional(),
  pidBefore: z.number().nullable().optional(),
  pidAfter: z.number().nullable().optional(),
  durationMs: z.number().optional(),
  reconnected: z.boolean().optional().describe("an agent restart: the supervisor's new agent connected again (after waitedMs)"),
  waitedMs: z.number().optional(),
});
export const ExecResult = z.looseObject({ exitCode: z.number().nullable(), signal: z.string().nullable(), timedOut: z.boolean(), durationMs: z.number(), stdout: z.string(), stderr: z.string() });
export const AgentUpdateResult = z.looseObject({ ok: z.boolean(), data: z.looseObject({ staged: z.boolean(), detail: z.string() }).optional(), error: z.string().optional() });

export const Alive = z.object({ ok: z.literal(true) });
export const Ready = z.object({ ok: z.literal(true), database: z.literal('up'), queue: z.literal('up') });

/** The Ansible dynamic inventory (`--list` output): groups of host names, and every host's vars in `_meta`. */
export const AnsibleGroup = z.object({ hosts: z.array(z.string()), children: z.array(z.string()).optional() });
export const Inventory = z.object({ _meta: z.object({ hostvars: z.record(z.string(), z.record(z.string(), z.unknown())) }) }).catchall(AnsibleGroup);

/**
 * The response components of the OpenAPI document, by name: the document refers to each as
 * `#/components/schemas/<name>`, and the generated contract names its types after them.
 *
 * @example
 * RESPONSES.get(Instance) // → { id: 'Instance' }
 */
export const RESPONSES = z.registry<{ id: string }>();
for (const [id, s] of Object.entries({
  Instance, InstancePage, InstanceEvent, EventPage, Problem, Plan,
  ProviderInfo, UnconfiguredProvider, ProviderList, Price, ServerType, ServerTypeList, Location, LocationList,
  SshHostFacts, SshHost, SshHostList, SshProbe, SshHostProbed,
  Snapshot, SnapshotList, SnapshotPrune, SnapshotBuild, SnapshotBuildList, SnapshotBuildRecorded,
  Release, ReleaseList, ReleaseOffer, ReconcileReport,
  AgentStatus, LastSmoke, InstanceStatus, DoctorCheck, DoctorReport, LogUnit, Logs, SmokeResult, RestartResult, ExecResult, AgentUpdateResult,
  Alive, Ready, AnsibleGroup, Inventory,
  Budget, BudgetState, Costs,
})) RESPONSES.add(s, { id });

