import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../domain/errors.ts';
import { LocalProvider } from '../../providers/local.ts';
import { engineFixture, type EngineFixture } from '../engine.testing.ts';
import { engineResources, type EngineResources } from '../resources.ts';
import { plan } from './plan.ts';
import { provisionStep } from './provision.ts';
import { checkUserDataSize } from './user-data.ts';

/** A real local provider whose user-data limit is far below what an instance's user-data needs. */
class TinyLocal extends LocalProvider {
  override readonly userDataLimit = 1000;
}

let f: EngineFixture;
let r: EngineResources;
let dir: string;
let tiny: TinyLocal;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-user-data-'));
  tiny = new TinyLocal({ baseDir: dir, agentBundle: 'unused' });
  f = await engineFixture('user-data-system', { providers: new Map([['local', tiny]]) });
  r = engineResources(f.deps);
});
afterAll(async () => {
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('checkUserDataSize', () => {
  it('measures bytes (not characters) against the provider limit; a 400 naming userData past it', () => {
    expect(checkUserDataSize({ name: 'hetzner', userDataLimit: 32768 }, 'x'.repeat(32768))).toBe(32768);
    let err: unknown;
    try {
      checkUserDataSize({ name: 'hetzner', userDataLimit: 32768 }, 'é'.repeat(20000));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ status: 400, message: 'user-data is 40000 bytes; hetzner accepts at most 32768 bytes (32 KiB)', errors: [{ field: 'userData', message: '40000 bytes exceeds the hetzner limit of 32768 bytes' }] });
  });
});

describe("the provider's userDataLimit is checked once, in the engine, before any cloud call", () => {
  it('provisioning: the instance fails with the validation error and the provider is never asked to create', async () => {
    const create = vi.spyOn(tiny, 'createServer');
    const { row } = await f.instance();
    await expect(provisionStep(r, row.id, { retryCount: 0, retryLimit: 8 })).rejects.toBeInstanceOf(ValidationError);
    expect(create).not.toHaveBeenCalled();
    const after = await f.store.get(row.id);
    expect(after.status).toBe('stopping'); // failed, then onFailure=destroy
    expect(after.failureReason).toMatch(/^create_server failed: user-data is \d+ bytes; local accepts at most 1000 bytes/);
    const error = (await f.store.events(row.id)).find((e) => e.kind === 'error');
    expect(error?.data).toMatchObject({ code: 'validation-error', step: 'create_server' });
  });

  it('the dry run refuses the same way, with the same limit', async () => {
    const input = { name: 'p', provider: 'local' as const, workload: 'process' as const, workloadConfig: {}, secrets: {}, tailscale: false, tailscaleTags: [] };
    await expect(plan(r, input)).rejects.toMatchObject({ status: 400, errors: [{ field: 'userData' }], message: expect.stringMatching(/local accepts at most 1000 bytes/) });
  });
});
