import { redactUserData } from '../../bootstrap/cloud-init.ts';
import { STEPS } from '../../domain/lifecycle.ts';
import { serverName } from '../../domain/names.ts';
import { newToken } from '../../domain/tokens.ts';
import type { Image } from '../../providers/types.ts';
import { providerOf, type EngineResources } from '../resources.ts';
import type { CreateInstanceInput } from './create.ts';
import { bootstrapFor, renderUserDataFor } from './user-data.ts';

/** Which bootstrap path a new instance takes, with which image, and why. */
export interface PathChoice {
  path: 'full' | 'snapshot';
  /** The image to boot (a snapshot id on the snapshot path; the request's or provider's base image otherwise). */
  image: string | null;
  reason: string;
  /** Set when a requested snapshot was not found and the full install runs instead. */
  fallback: string | null;
}

/** The id a dry run renders with (its server name shows `<id>` instead). */
const PLAN_ID = '00000000-0000-4000-8000-000000000000';

/**
 * The dry run (`POST /v1/instances?dryRun=true`, `hangar create --dry-run`), the only one: what
 * creating this instance would do, with the exact user-data (the one-time token redacted),
 * checked against the provider's limit as a create is. Writes nothing and calls no cloud.
 *
 * @example
 * const p = await plan(r, input); // p.userData includes '[REDACTED]', p.userDataBytes <= p.userDataLimit
 */
export async function plan(r: EngineResources, input: CreateInstanceInput): Promise<Record<string, unknown>> {
  const provider = providerOf(r, input.provider);
  r.validateWorkload?.(input.workload, input.workloadConfig, input.secrets, input.provider);
  const choice = await choosePath(r, input, { dryRun: true });
  const token = newToken('hgb');
  const name = serverName(PLAN_ID, input.name ?? input.workload);
  const bootstrap = await bootstrapFor(r, { id: PLAN_ID, provider: input.provider, bootstrapPath: choice.path, serverName: name, workload: input.workload, tailscale: input.tailscale }, token);
  const { userData, bytes } = renderUserDataFor(r, provider, bootstrap);
  return {
    dryRun: true,
    provider: input.provider,
    serverName: name.replace(/[0-9a-f]{8}$/, '<id>'),
    location: input.location ?? null,
    serverType: input.serverType ?? null,
    image: choice.image,
    bootstrapPath: choice.path,
    bootstrapPathReason: choice.reason,
    fallback: choice.fallback,
    workload: input.workload,
    config: input.workloadConfig,
    secrets: Object.keys(input.secrets).sort(),
    steps: [...STEPS],
    tailscale: input.tailscale ? (r.settings.tailnet ? 'auth key minted at enrollment' : 'skipped: no tailnet configured') : 'off',
    providerCalls: { create: 1, delete: 1 },
    userDataBytes: bytes,
    userDataLimit: provider.userDataLimit,
    userData: redactUserData(userData, token),
  };
}

/**
 * Snapshot or full path. Clouds only: a snapshot id in the request (a number), else the
 * environment's `HETZNER_SNAPSHOT_ID` / `DIGITALOCEAN_SNAPSHOT_ID`, else the newest snapshot
 * this installation built for the current bootstrap version. A requested snapshot that does
 * not exist → full path on the provider's base image, with a fallback reason (never silent).
 * A dry run answers from the cached snapshot list (no cloud call).
 *
 * @example
 * await choosePath(r, { provider: 'local' }) // → { path: 'full', image: null, reason: 'local always runs the full install', fallback: null }
 */
export async function choosePath(r: EngineResources, input: Pick<CreateInstanceInput, 'provider' | 'image' | 'location'>, opts: { dryRun?: boolean } = {}): Promise<PathChoice> {
  const cachedOnly = Boolean(opts.dryRun);
  const cloud = input.provider === 'hetzner' || input.provider === 'digital-ocean';
  if (!cloud || !r.snapshots) return { path: 'full', image: input.image ?? null, reason: cloud ? 'snapshots not available' : `${input.provider} always runs the full install`, fallback: null };
  const snapshots = r.snapshots;
  const requested = input.image && /^\d+$/.test(input.image) ? { id: input.image, from: 'requested' } : null;
  const fromEnv = !input.image && r.snapshotIds?.[input.provider] ? { id: r.snapshotIds[input.provider]!, from: input.provider === 'hetzner' ? 'HETZNER_SNAPSHOT_ID' : 'DIGITALOCEAN_SNAPSHOT_ID' } : null;
  const wanted = requested ?? fromEnv;
  if (wanted) {
    let found: Image | null = null;
    let lookupError: string | null = null;
    try {
      found = await snapshots.findSnapshot(input.provider, wanted.id, cachedOnly);
    } catch (err) {
      lookupError = (err as Error).message;
    }
    if (found) return { path: 'snapshot', image: found.id, reason: `${wanted.from} snapshot ${found.id} (${found.name})`, fallback: null };
    const why = lookupError ? `could not be looked up (${lookupError})` : `was not found on ${input.provider}`;
    return { path: 'full', image: null, reason: 'full install on the base image', fallback: `snapshot ${wanted.id} (${wanted.from}) ${why}: running the full install on the base image instead` };
  }
  if (input.image) return { path: 'full', image: input.image, reason: `requested image ${input.image}`, fallback: null };
  try {
    const current = await snapshots.currentSnapshot(input.provider, input.location, cachedOnly);
    if (current) return { path: 'snapshot', image: current.id, reason: `snapshot ${current.id} (${current.name}) built by this installation for bootstrap version ${r.bootstrapVersion}`, fallback: null };
  } catch (err) {
    r.log.warn({ err: (err as Error).message, provider: input.provider }, 'listing snapshots failed; full install');
  }
  return { path: 'full', image: null, reason: `no snapshot for bootstrap version ${r.bootstrapVersion}: full install on the base image`, fallback: null };
}
