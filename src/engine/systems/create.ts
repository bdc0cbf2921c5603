import { randomUUID } from 'node:crypto';
import type { WorkloadKind } from '../../bootstrap/types.ts';
import { defaultInstanceName, instanceLabels, serverName } from '../../domain/names.ts';
import { hashToken, newToken, open, seal } from '../../domain/tokens.ts';
import { DEFAULT_PROJECT } from '../../domain/roles.ts';
import type { ProviderName } from '../../providers/types.ts';
import { providerOf, type EngineResources } from '../resources.ts';
import type { InstanceRow, InstanceUpdate } from '../store.ts';
import { armLifetime } from './lifetime.ts';
import type { Db } from '../../db/client.ts';
import type { CrossedThreshold } from '../../db/stores/budgets.ts';
import { resolveChoices } from './choices.ts';
import { choosePath } from './plan.ts';
import { claimFromPool } from '../pools/claim.ts';

/** What a user asks for when creating an instance (the API's body, parsed). */
export interface CreateInstanceInput {
  /** Display name; without one, `<workload>-<first 8 hex of the id>` (defaultInstanceName). */
  name?: string;
  provider: ProviderName;
  location?: string;
  serverType?: string;
  image?: string;
  workload: WorkloadKind;
  workloadConfig: Record<string, unknown>;
  secrets: Record<string, string>;
  tailscale: boolean;
  tailscaleTags: string[];
  connectTimeoutSeconds?: number;
  onFailure?: 'destroy' | 'keep';
  /** The project (tenant) it belongs to (default `default`); its server's labels carry it too. */
  project?: string;
  /** Destroy this many seconds after creation (default: the installation's; 0: never). */
  ttlSeconds?: number;
  /** Hibernate after this many seconds without workload activity (default: the installation's; 0: never). */
  idleStopSeconds?: number;
  /** Set by the pool keeper: this instance is a warm member of that pool (no user settings). */
  poolId?: string;
  /** Capacity fallback: server types and locations to try in order (instead of `serverType`/`location`). */
  serverTypes?: string[];
  locations?: string[];
}

/** Bootstrap tokens outlive the connect timeout by this much, then they are useless. */
const TOKEN_GRACE_SECONDS = 300;

/**
 * A fresh one-time bootstrap token and the columns that store it (hashed, sealed, expiring
 * `TOKEN_GRACE_SECONDS` after the connect timeout).
 *
 * @example
 * const { token, columns } = bootstrapToken(r, 600); // columns go into the instance row
 */
export function bootstrapToken(r: EngineResources, connectTimeoutSeconds: number): { token: string; columns: InstanceUpdate } {
  const token = newToken('hgb');
  return {
    token,
    columns: {
      bootstrapTokenHash: hashToken(token),
      bootstrapTokenSealed: seal(token, r.secretKey),
      bootstrapTokenExpiresAt: new Date(Date.now() + (connectTimeoutSeconds + TOKEN_GRACE_SECONDS) * 1000),
    },
  };
}

/**
 * Write the intent row (name, labels and a sealed one-time token) before any cloud call, then
 * enqueue provisioning and the timeout watcher.
 *
 * @example
 * const row = await createInstance(r, { name: 'a', provider: 'local', workload: 'process', workloadConfig: {}, secrets: {}, tailscale: false, tailscaleTags: [] }, 'api:admin');
 */
export async function createInstance(r: EngineResources, input: CreateInstanceInput, actor: string): Promise<InstanceRow> {
  providerOf(r, input.provider);
  if (!input.poolId) {
    r.validateWorkload?.(input.workload, input.workloadConfig, input.secrets, input.provider);
    input = { ...input, secrets: r.completeSecrets?.(input.workload, input.workloadConfig, input.secrets) ?? input.secrets };
    const claimed = await claimFromPool(r, input, actor); // a warm server of a matching pool, if one is ready
    if (claimed) return claimed;
  }
  const now = new Date();
  const resolved = await resolveChoices(r, providerOf(r, input.provider), input, now);
  const [first, ...rest] = resolved.choices;
  const choice = await choosePath(r, { ...input, location: first.location ?? undefined });
  const id = randomUUID();
  const connectTimeoutSeconds = input.connectTimeoutSeconds ?? r.connectTimeoutSeconds;
  const ttlSeconds = (input.ttlSeconds ?? r.defaultTtlSeconds ?? 0) || null;
  const idleStopSeconds = (input.idleStopSeconds ?? r.defaultIdleStopSeconds ?? 0) || null;
  let crossed: CrossedThreshold[] = [];
  const reserve = r.ledger
    ? async (tx: Db) => {
        crossed = await r.ledger!.reserve(tx, { instanceId: id, project: input.project ?? DEFAULT_PROJECT, provider: input.provider, price: first.price, cost: resolved.reserve, now });
      }
    : undefined;
  const row = await r.store.insert(
    {
      id,
      name: input.name ?? defaultInstanceName(input.workload, id),
      project: input.project ?? DEFAULT_PROJECT,
      serverName: serverName(id, input.name ?? input.workload),
      provider: input.provider,
      location: first.location,
      serverType: first.serverType,
      priceHourly: first.price.hourly,
      priceMonthly: first.price.monthly,
      priceCurrency: first.price.currency || null,
      fallbackChoices: rest.map((c) => ({ serverType: c.serverType, location: c.location })),
      image: choice.image,
      bootstrapPath: choice.path,
      workload: input.workload,
      workloadConfig: input.workloadConfig,
      secretsSealed: Object.keys(input.secrets).length ? seal(JSON.stringify(input.secrets), r.secretKey) : null,
      labels: instanceLabels(r.installationId, id, input.project ?? DEFAULT_PROJECT),
      tailscale: input.tailscale,
      tailscaleTags: input.tailscaleTags,
      connectTimeoutSeconds,
      onFailure: input.onFailure ?? 'destroy',
      ttlSeconds,
      expiresAt: ttlSeconds ? new Date(now.getTime() + ttlSeconds * 1000) : null,
      idleStopSeconds,
      startedAt: now,
      createdAt: now,
      poolId: input.poolId ?? null,
      ...bootstrapToken(r, connectTimeoutSeconds).columns,
    },
    { actor, kind: 'transition', reason: 'instance requested' },
    reserve,
  );
  for (const c of crossed) {
    const where = c.scope === '*' ? 'the installation' : `project ${c.scope}`;
    await r.store.event(id, { actor: 'engine', kind: 'budget_warning', reason: `projected spend this month ${c.projected.toFixed(2)} ${c.cap.currency} reached ${c.threshold}% of the ${c.cap.monthly.toFixed(2)} ${c.cap.currency} budget of ${where}`, data: { scope: c.scope, threshold: c.threshold, projected: c.projected, cap: c.cap.monthly, currency: c.cap.currency } });
  }
  if (choice.fallback) {
    await r.store.event(id, { actor: 'engine', kind: 'warning', reason: choice.fallback, data: { bootstrapPath: 'full', fallback: true, requestedImage: input.image ?? r.snapshotIds?.[input.provider] ?? null } });
  } else if (choice.path === 'snapshot') {
    await r.store.event(id, { actor: 'engine', kind: 'info', reason: `bootstrap path ${choice.path}: ${choice.reason}`, data: { bootstrapPath: choice.path, image: choice.image } });
  }
  await r.jobs.enqueue('provision', id);
  await armLifetime(r, row);
  // The timeout watcher wakes at the first deadline (the creating state's, or the connect timeout).
  await r.jobs.enqueue('connectTimeout', id, { startAfter: new Date(Date.now() + Math.min(connectTimeoutSeconds, r.stateTimeouts?.creating ?? connectTimeoutSeconds) * 1000) });
  return row;
}

/**
 * The secret settings an instance has, opened (empty when it has none).
 *
 * @example
 * const secrets = instanceSecrets(r, row); // { OPENAI_API_KEY: 'sk-…' }
 */
export function instanceSecrets(r: EngineResources, row: Pick<InstanceRow, 'secretsSealed'>): Record<string, string> {
  return row.secretsSealed ? (JSON.parse(open(row.secretsSealed, r.secretKey)) as Record<string, string>) : {};
}

/**
 * Names of the secret settings an instance has (never their values).
 *
 * @example
 * secretNames(r, row) // → ['OPENAI_API_KEY']
 */
export function secretNames(r: EngineResources, row: Pick<InstanceRow, 'secretsSealed'>): string[] {
  try {
    return Object.keys(instanceSecrets(r, row)).sort();
  } catch {
    return [];
  }
}
