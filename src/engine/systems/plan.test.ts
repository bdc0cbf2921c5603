import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultRenderers } from '../../bootstrap/renderers.ts';
import { STEPS } from '../../domain/lifecycle.ts';
import { LocalProvider } from '../../providers/local.ts';
import { engineFixture, type EngineFixture } from '../engine.testing.ts';
import { engineResources, type EngineResources } from '../resources.ts';
import { choosePath, plan } from './plan.ts';

let f: EngineFixture;
let r: EngineResources;
let dir: string;
let local: LocalProvider;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-plan-'));
  local = new LocalProvider({ baseDir: dir, agentBundle: 'unused' });
  f = await engineFixture('plan-system', { providers: new Map([['local', local]]), validateWorkload: defaultRenderers().validateWorkload });
  r = engineResources(f.deps);
});
afterAll(async () => {
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

const input = (over: Record<string, unknown> = {}) => ({ name: 'Plan Me', provider: 'local' as const, workload: 'process' as const, workloadConfig: {}, secrets: {}, tailscale: true, tailscaleTags: [], ...over });

describe('plan (the one dry run)', () => {
  it('shows the exact user-data with the one-time token redacted, its size against the limit, and writes nothing nor calls the provider', async () => {
    const create = vi.spyOn(local, 'createServer');
    const before = await f.store.list({ limit: 100 });
    const p = await plan(r, input());
    expect(p).toMatchObject({ dryRun: true, provider: 'local', serverName: 'hangar-plan-me-<id>', bootstrapPath: 'full', fallback: null, secrets: [], steps: [...STEPS], tailscale: 'skipped: no tailnet configured', userDataLimit: local.userDataLimit, providerCalls: { create: 1, delete: 1 } });
    const userData = p.userData as string;
    expect(userData).toContain('[REDACTED]');
    expect(userData).not.toMatch(/hgb_[A-Za-z0-9_-]{20,}/);
    expect(p.userDataBytes).toBeGreaterThan(userData.length - 100);
    expect(p.userDataBytes).toBeLessThanOrEqual(local.userDataLimit);
    expect(create).not.toHaveBeenCalled();
    expect(await f.store.list({ limit: 100 })).toEqual(before);
  });

  it('fails where a create would: bad workload settings are a 400 naming config.<field>', async () => {
    await expect(plan(r, input({ workloadConfig: { nope: 1 } }))).rejects.toMatchObject({ status: 400, errors: expect.arrayContaining([expect.objectContaining({ field: 'config.nope' })]) });
  });
});

describe('choosePath', () => {
  it('local and ssh always run the full install, on the requested image if any', async () => {
    expect(await choosePath(r, { provider: 'local' })).toEqual({ path: 'full', image: null, reason: 'local always runs the full install', fallback: null });
    expect(await choosePath(r, { provider: 'ssh', image: 'ubuntu-24.04' })).toMatchObject({ path: 'full', image: 'ubuntu-24.04' });
  });
});
