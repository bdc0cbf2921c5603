/**
 * Agent release approval against a real database (PGlite in memory, or PostgreSQL when
 * DATABASE_URL is set): anti-rollback and the recorded override.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../test/helpers/db.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { HangarError } from '../domain/errors.ts';
import { newReleaseKey, signRelease } from '../domain/releases.ts';
import { Releases } from './releases.ts';

const key = newReleaseKey();
let tdb: Awaited<ReturnType<typeof testDatabase>>;
let database: Database;
let releases: Releases;

beforeAll(async () => {
  tdb = await testDatabase('releases');
  database = await openDatabase({ url: tdb.url });
  releases = new Releases(database.db, [key.publicKey]);
  for (const v of ['1.0.0', '1.1.0', '2.0.0-rc.1', '2.0.0', '1.10.0']) {
    const bundle = Buffer.from(`// agent ${v}\n`);
    await releases.publish({ version: v, bundle, signature: signRelease(bundle, v, key.privateKeyPem) }, 'publisher');
  }
}, 60_000);
afterAll(async () => {
  await database?.close();
  await tdb?.drop();
});

async function refusal(p: Promise<unknown>): Promise<HangarError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(HangarError);
  return err as HangarError;
}

describe('release approval: anti-rollback', () => {
  it('approves upward freely; a lower version than the highest approved is a 409 naming version', async () => {
    expect(await releases.approve('1.0.0', {}, 'alice')).toMatchObject({ status: 'approved', approvedBy: 'alice', downgradeAllowedBy: null });
    await releases.approve('1.10.0', {}, 'alice'); // 1.10 > 1.1 (numeric, not text order)
    const err = await refusal(releases.approve('1.1.0', {}, 'mallory'));
    expect(err.status).toBe(409);
    expect(err.errors).toEqual([{ field: 'version', message: expect.stringContaining('lower than 1.10.0') }]);
    expect(err.message).toContain('allowDowngrade');
    expect((await releases.get('1.1.0')).approvedAt).toBeNull();
    // A pre-release of a higher version is an upgrade; its release then outranks it.
    await releases.approve('2.0.0-rc.1', { canaryPercent: 10 }, 'alice');
    await releases.approve('2.0.0', {}, 'alice');
    expect((await refusal(releases.approve('2.0.0-rc.1', {}, 'alice'))).status).toBe(409);
    // Re-approving the highest (e.g. widening its share) is no downgrade.
    expect(await releases.approve('2.0.0', { canaryPercent: 50 }, 'bob')).toMatchObject({ canaryPercent: 50, downgradeAllowedBy: null });
  });

  it('allowDowngrade approves it and records who allowed it; a later normal approval clears the mark', async () => {
    const r = await releases.approve('1.1.0', { allowDowngrade: true }, 'carol');
    expect(r).toMatchObject({ status: 'approved', approvedBy: 'carol', downgradeAllowedBy: 'carol' });
    // It is now every agent's target (the most recently approved): the deliberate rollback.
    expect((await releases.offer('00000000-0000-4000-8000-000000000002', '2.0.0', [], 'http://h'))?.version).toBe('1.1.0');
    expect((await releases.list()).find((x) => x.version === '1.1.0')?.downgradeAllowedBy).toBe('carol');
    const again = await releases.approve('2.0.0', {}, 'dave');
    expect(again.downgradeAllowedBy).toBeNull();
    const bad = await refusal(releases.approve('1.0.0', { allowDowngrade: 'yes' as unknown as boolean }, 'dave'));
    expect(bad.errors?.[0]?.field).toBe('allowDowngrade');
  });

  it('revoking the newest release (the documented rollback) needs no override and leaves older ones approvable', async () => {
    await releases.revoke('2.0.0');
    // 2.0.0-rc.1 (approved, unrevoked) is now the highest, then 1.10.0.
    expect((await refusal(releases.approve('1.10.0', {}, 'erin'))).errors?.[0]?.message).toContain('lower than 2.0.0-rc.1');
    await releases.revoke('2.0.0-rc.1');
    expect(await releases.approve('1.10.0', {}, 'erin')).toMatchObject({ status: 'approved', downgradeAllowedBy: null });
    expect((await releases.offer('00000000-0000-4000-8000-000000000003', '2.0.0', [], 'http://h'))?.version).toBe('1.10.0');
  });
});
