import { z } from 'zod';
import { storableJson, storableText } from './text.ts';
import { ENROLL_PROOF_HASH_PATTERN, ENROLL_PROOF_PATTERN } from '../domain/enroll-proof.ts';

export const ProviderName = z.enum(['local', 'hetzner', 'digital-ocean', 'ssh']);
export const WorkloadKind = z.enum(['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose']);

/** `POST /v1/instances` body. */
export const CreateInstance = z
  .object({
    name: z.string().min(1).max(40).regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, dot, dash, underscore; must start with a letter or digit').optional(),
    provider: ProviderName,
    location: storableText(z.string().min(1).max(64)).optional(),
    serverType: storableText(z.string().min(1).max(64)).optional(),
    image: storableText(z.string().min(1).max(128)).optional(),
    workload: WorkloadKind.default('process'),
    /** Workload settings (seed 001's fields for agent-manager); secret fields are sealed at rest and never returned. */
    config: storableJson(z.record(z.string(), z.unknown())).default({}),
    tailscale: z.boolean().default(false),
    tailscaleTags: z.array(z.string().regex(/^tag:[a-z0-9-]+$/, 'must look like tag:name')).max(20).default([]),
    connectTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
    onFailure: z.enum(['destroy', 'keep']).optional(),
  })
  .strict();
export type CreateInstance = z.infer<typeof CreateInstance>;

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: storableText(z.string().max(200)).optional(),
  status: storableText(z.string().max(200)).optional(),
  provider: ProviderName.optional(),
});

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
  status: z.enum(['pending', 'provisioning', 'running', 'stopping', 'stopped', 'failed']),
  step: z.enum(['create_server', 'boot', 'enroll', 'network', 'configure', 'workload']).nullable(),
  connection: z.enum(['connecting', 'connected', 'disconnected', 'timeout']),
  bootstrapPath: z.string().nullable(),
  serverId: z.string().nullable(),
  ipv4: z.string().nullable(),
  ipv6: z.string().nullable(),
  tailscale: z.boolean(),
  tailnetName: z.string().nullable(),
  agentId: z.string().nullable(),
  agentVersion: z.string().nullable(),
  lastHeartbeatAt: z.string().nullable(),
  workloadHealthy: z.boolean().nullable(),
  connectTimeoutSeconds: z.number(),
  onFailure: z.enum(['destroy', 'keep']),
  failureReason: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  monthlyPrice: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  runningAt: z.string().nullable(),
});

export const InstanceEvent = z.object({
  id: z.number(),
  instanceId: z.uuid(),
  at: z.string(),
  actor: z.string(),
  kind: z.enum(['transition', 'connection', 'log', 'info', 'warning', 'error']),
  from: z.string().nullable(),
  to: z.string().nullable(),
  step: z.string().nullable(),
  reason: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
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
