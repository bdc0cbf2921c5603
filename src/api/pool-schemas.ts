/**
 * Request and response schemas of warm pools and of the cloud-API budget (`/v1/pools`,
 * `/v1/api-budget`); registered in the OpenAPI document's components like schemas.ts's.
 *
 * @example
 * const body = parseInput(PutPool, req.body, 'body');
 */
import { z } from 'zod';
import { ProviderName, RESPONSES, WorkloadKind } from './schemas.ts';

/** A pool's name: what `hangar pool rm NAME` takes. */
export const PoolName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63');
const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a provider slug (lowercase letters, digits, dashes)');

/** PUT /v1/pools/{name}. */
export const PutPool = z
  .object({
    provider: ProviderName.exclude(['ssh']).describe('The cloud (or local) the pool keeps servers on'),
    serverType: Slug.nullable().optional().describe("The server type; a create matches it exactly (omitted = the provider's default)"),
    location: Slug.nullable().optional().describe("The location; a create matches it exactly (omitted = the provider's default)"),
    workload: WorkloadKind,
    ready: z.number().int().min(0).max(50).describe('Servers to keep booted, agent connected, workload not configured'),
  })
  .strict();

export const Pool = z.object({
  name: z.string(),
  project: z.string(),
  provider: z.string(),
  serverType: z.string().nullable(),
  location: z.string().nullable(),
  workload: z.string(),
  ready: z.number().int(),
  warm: z.number().int().describe('Members a create can claim now'),
  starting: z.number().int().describe('Members still booting'),
  consecutiveFailures: z.number().int(),
  paused: z.boolean(),
  pauseReason: z.string().nullable(),
  updatedAt: z.string(),
});
export const PoolList = z.object({ items: z.array(Pool) });

export const ApiBudget = z.object({
  bucket: z.string().describe('Vendor and a hash of the token (never the token)'),
  vendor: z.string(),
  mode: z.enum(['unknown', 'learned', 'assumed']),
  limit: z.number(),
  remaining: z.number().describe('Calls the shared bucket allows now, all replicas together'),
  usedRatio: z.number(),
  inFlight: z.number(),
  granted: z.object({ urgent: z.number(), create: z.number(), list: z.number() }),
  limited: z.number().describe('429 answers the vendor gave'),
  blockedUntil: z.string().nullable(),
});
export const ApiBudgetList = z.object({ items: z.array(ApiBudget) });

for (const [id, s] of Object.entries({ Pool, PoolList, ApiBudget, ApiBudgetList })) RESPONSES.add(s, { id });
