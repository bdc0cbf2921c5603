import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_INSTALLATION, LABEL_INSTANCE } from '../../src/domain/names.ts';
import { acquireLease, releaseLease } from '../../src/engine/lease.ts';
import { bootstrapInput } from '../../src/bootstrap/fixtures.testing.ts';
import { processesMatching } from '../helpers/procs.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  // Passes only on demand here, and a short grace period for orphans.
  h = await startTestHangar('reconciler', { reconcileSeconds: 0, orphanGraceSeconds: 1 });
});
afterAll(async () => {
  await h?.close();
});

const local = () => h.engine.provider('local');
/** A spec's user-data and the structured bootstrap the local provider hands its agent. */
const bootstrapOf = (instanceId: string) => ({
  userData: '#cloud-config\n',
  bootstrap: bootstrapInput({ provider: 'local', bootstrap: { apiUrl: 'http://127.0.0.1:9', token: 'hgb_none', instanceId, serverName: 'x' } }),
});

async function running(name: string) {
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name } });
  const inst = (await res.json()) as { id: string };
  return h.waitFor(inst.id, (r) => r.status === 'running');
}
async function reconcile() {
  const res = await h.api('/v1/reconcile', { method: 'POST' });
  expect(res.status).toBe(200);
  return res.json();
}
const reasons = async (id: string) => (await h.engine.store.events(id)).map((e) => e.reason ?? '');

describe('reconciler on the local provider', () => {
  it('adopts a server whose instance lost its id', async () => {
    const row = await running('adopt me');
    await h.engine.store.update(row.id, { serverId: null });
    const report = await reconcile();
    expect(report.adopted).toEqual([row.serverId]);
    expect((await h.engine.store.get(row.id)).serverId).toBe(row.serverId);
    expect((await reasons(row.id)).some((r) => r.startsWith(`adopted server ${row.serverId}`))).toBe(true);
  });

  it('deletes a second server labelled for one instance and keeps the recorded one', async () => {
    const row = await running('dup');
    const extra = await local().createServer({ name: 'hangar-dup-extra', labels: { [LABEL_INSTALLATION]: h.installationId, [LABEL_INSTANCE]: row.id }, ...bootstrapOf(row.id) });
    const report = await reconcile();
    expect(report.duplicatesDeleted).toEqual([extra.id]);
    expect(await local().getServer(extra.id)).toBeNull();
    expect(await local().getServer(row.serverId!)).not.toBeNull();
    expect((await h.engine.store.get(row.id)).status).toBe('running');
  });

  it('fails an instance whose server vanished, and its onFailure=destroy policy stops it', async () => {
    const row = await running('vanish');
    await local().deleteServer(row.serverId!);
    const report = await reconcile();
    expect(report.vanished).toEqual([row.id]);
    const done = await h.waitFor(row.id, (r) => r.status === 'stopped');
    expect(done.failureReason).toMatch(/vanished/);
    const evs = await h.engine.store.events(row.id);
    expect(evs.find((e) => e.kind === 'error')?.data).toMatchObject({ code: 'not_found' });
  });

  it('marks an unexplained labelled server as orphan, then deletes it after the grace period', async () => {
    const ghost = '00000000-0000-4000-8000-00000000beef';
    const s = await local().createServer({ name: 'hangar-ghost', labels: { [LABEL_INSTALLATION]: h.installationId, [LABEL_INSTANCE]: ghost }, ...bootstrapOf(ghost) });
    const first = await reconcile();
    expect(first.orphansMarked).toEqual([s.id]);
    expect(first.orphansDeleted).toEqual([]);
    expect(await local().getServer(s.id)).not.toBeNull();
    // Deleted on the first pass after the grace period: wait for that condition, not a fixed time.
    const deadline = Date.now() + 15_000;
    let second = await reconcile();
    while (!second.orphansDeleted.includes(s.id)) {
      expect(second.orphansDeleted).toEqual([]);
      if (Date.now() > deadline) throw new Error(`orphan ${s.id} was not deleted within 15 s of its grace period`);
      await new Promise((r) => setTimeout(r, 100));
      second = await reconcile();
    }
    expect(second.orphansDeleted).toEqual([s.id]);
    expect(await local().getServer(s.id)).toBeNull();
    expect(processesMatching('agent.mjs', s.id)).toEqual([]);
  });

  it('leaves servers of other installations alone', async () => {
    const other = await local().createServer({ name: 'hangar-other', labels: { [LABEL_INSTALLATION]: 'another-installation', [LABEL_INSTANCE]: 'x' }, ...bootstrapOf('x') });
    // Never marked, so never deleted: deletion only follows a mark from an earlier pass.
    const first = await reconcile();
    expect(first.orphansMarked).not.toContain(other.id);
    const report = await reconcile();
    expect(report.orphansMarked).not.toContain(other.id);
    expect(report.orphansDeleted).not.toContain(other.id);
    expect(await local().getServer(other.id)).not.toBeNull();
    await local().deleteServer(other.id);
  });

  it('resumes a teardown whose job was lost', async () => {
    const row = await running('lost teardown');
    // What a crash between the transition and the enqueue would leave: stopping, no job.
    await h.engine.store.transition(row.id, { type: 'destroy' }, { actor: 'test', reason: 'simulated lost job' });
    const report = await reconcile();
    expect(report.resumed).toContain(row.id);
    await h.waitFor(row.id, (r) => r.status === 'stopped');
    expect(await local().getServer(row.serverId!)).toBeNull();
  });

  it('has one leader: a pass while another replica holds the lease is a 409 naming it', async () => {
    expect(await acquireLease(h.database.db, 'reconciler', 'replica-b', 60)).toBe(true);
    const res = await h.api('/v1/reconcile', { method: 'POST' });
    expect(res.status).toBe(409);
    expect((await res.json()).detail).toMatch(/replica-b/);
    await releaseLease(h.database.db, 'reconciler', 'replica-b');
    expect((await h.api('/v1/reconcile', { method: 'POST' })).status).toBe(200);
  });
});
