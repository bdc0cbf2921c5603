/**
 * Snapshot builds and the snapshot/full bootstrap paths on the Hetzner and DigitalOcean
 * emulators: a builder server boots from builder user-data, reports ready to Hangar with its
 * build token and powers off; Hangar images it with labels and deletes it. New instances then
 * boot from that snapshot (the emulator starts the real agent from snapshot-path user-data); a
 * requested snapshot that does not exist falls back to the full path with a warning event.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LABEL_BOOTSTRAP_VERSION, LABEL_INSTALLATION, LABEL_ROLE, labelsToTags } from '../../src/domain/names.ts';
import { LABEL_CONTENTS, LABEL_SNAPSHOT_BUILD } from '../../src/engine/snapshots.ts';
import { runCli } from '../../src/cli/program.ts';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import { createAgentBoot } from '../emulators/boot.ts';
import { startDigitalOceanEmulator, type DigitalOceanEmulator } from '../emulators/digitalocean.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { documentedRaw } from '../helpers/contract.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let hz: HetznerEmulator;
let d: DigitalOceanEmulator;
let h: TestHangar;
let agents: ReturnType<typeof createAgentBoot>;

beforeAll(async () => {
  agents = createAgentBoot({ killAfterMs: 2000 });
  hz = await startHetznerEmulator({ boot: agents, tokens: '*', bootDelayMs: 100, actionDelayMs: 50, snapshotBuilder: { installMs: 300 } });
  d = await startDigitalOceanEmulator({ boot: agents, tokens: '*', bootDelayMs: 100, actionDelayMs: 50, snapshotBuilder: { installMs: 300 } });
  const reg = providersFromEnv(
    { HETZNER_API_TOKEN: `hz-${randomUUID()}`, HCLOUD_ENDPOINT: hz.baseUrl, DIGITALOCEAN_API_TOKEN: `do-${randomUUID()}`, DIGITALOCEAN_API_URL: d.url, HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' },
    {
      hetzner: { rest: { backoff: { baseMs: 100, maxMs: 1000 } }, actionPoll: { initialMs: 50, maxMs: 200 } },
      digitalOcean: { rest: { backoff: { baseMs: 100, maxMs: 1000 } }, actionPoll: { initialMs: 50, maxMs: 200 } },
    } as never,
  );
  expect(reg.warnings).toEqual([]);
  h = await startTestHangar('snapshots', { reconcileSeconds: 0 }, { providers: reg.providers, tailnet: null, snapshotIds: {}, snapshotBuild: { readyTimeoutSeconds: 60 } });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await hz?.stop();
  await d?.stop();
});

type Cloud = 'hetzner' | 'digital-ocean';
type Build = { id: string; status: string; serverId: string | null; imageId: string | null; error: string | null; events: { status: string; message: string }[] };

async function build(cloud: Cloud): Promise<Build> {
  const res = await h.api('/v1/snapshots', { method: 'POST', json: { provider: cloud } });
  expect(res.status, await res.clone().text()).toBe(202);
  const started = (await documentedRaw('post', '/v1/snapshots', res)) as Build;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const b = (await documentedRaw('get', '/v1/snapshot-builds/{id}', await h.api(`/v1/snapshot-builds/${started.id}`))) as Build;
    if (b.status === 'done' || b.status === 'failed') return b;
    if (Date.now() > deadline) throw new Error(`build ${started.id} stuck at ${b.status}: ${JSON.stringify(b.events)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Labels of a snapshot in the emulator (DigitalOcean: as tags). */
function snapshotLabels(cloud: Cloud, id: string): Record<string, string> | string[] | undefined {
  if (cloud === 'hetzner') return hz.state.images.get(Number(id))?.labels;
  return d.state.images.get(Number(id))?.tags;
}

function builderGone(cloud: Cloud, serverId: string): boolean {
  return cloud === 'hetzner' ? !hz.state.servers.has(Number(serverId)) : !d.state.droplets.has(Number(serverId));
}

async function createInstance(cloud: Cloud, name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; bootstrapPath?: string }> {
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider: cloud, name, workload: 'process', ...extra } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string };
}

const images: Record<Cloud, string[]> = { hetzner: [], 'digital-ocean': [] };

describe('snapshot builds and bootstrap paths on emulated clouds', () => {
  for (const cloud of ['hetzner', 'digital-ocean'] as const) {
    it(`${cloud}: dry run before any snapshot chooses the full path`, async () => {
      const res = await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: cloud, name: 'dry', workload: 'process' } });
      expect(res.status).toBe(200);
      const plan = (await res.json()) as Record<string, unknown>;
      expect(plan.bootstrapPath).toBe('full');
      expect(plan.fallback).toBeNull();
    });

    it(`${cloud}: a build creates a labelled builder, waits for ready, powers off, images with labels and deletes the builder`, async () => {
      const b = await build(cloud);
      expect(b.status, `${b.error} ${JSON.stringify(b.events)}`).toBe('done');
      expect(b.serverId).toBeTruthy();
      expect(b.imageId).toBeTruthy();
      const messages = b.events.map((e) => e.message).join('\n');
      expect(messages).toMatch(/builder server .* created/);
      expect(messages).toMatch(/builder reported ready/);
      expect(messages).toMatch(/(powered off|is off)/);
      expect(messages).toMatch(/builder server .* deleted/);
      // The delete is an asynchronous cloud action: the builder disappears when it finishes.
      await vi.waitFor(() => expect(builderGone(cloud, b.serverId!)).toBe(true), { timeout: 10_000, interval: 50 });
      const boots = (emuState(cloud).boots as { kind: string; buildId?: string; report?: number | null }[]).filter((r) => r.buildId === b.id);
      expect(boots).toEqual([expect.objectContaining({ kind: 'builder', report: 200 })]);
      const labels = snapshotLabels(cloud, b.imageId!);
      const want = { [LABEL_INSTALLATION]: h.installationId, [LABEL_ROLE]: 'snapshot', [LABEL_BOOTSTRAP_VERSION]: h.engine.bootstrapVersion, [LABEL_SNAPSHOT_BUILD]: b.id, [LABEL_CONTENTS]: expect.any(String) };
      if (cloud === 'hetzner') expect(labels).toMatchObject(want);
      else for (const tag of labelsToTags({ [LABEL_INSTALLATION]: h.installationId, [LABEL_ROLE]: 'snapshot', [LABEL_BOOTSTRAP_VERSION]: h.engine.bootstrapVersion })) expect(labels).toContain(tag);
      images[cloud].push(b.imageId!);

      const list = (await documentedRaw('get', '/v1/snapshots', await h.api(`/v1/snapshots?provider=${cloud}`))) as { items: { id: string; current: boolean; bootstrapVersion: string }[] };
      expect(list.items).toEqual([expect.objectContaining({ id: b.imageId, current: true, bootstrapVersion: h.engine.bootstrapVersion })]);
    }, 90_000);

    it(`${cloud}: a new instance boots from the snapshot (path snapshot) and reaches running; the dry run says so`, async () => {
      const plan = (await documentedRaw('post', '/v1/instances', await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: cloud, name: 'dry', workload: 'process' } }))) as Record<string, unknown>;
      expect(plan).toMatchObject({ bootstrapPath: 'snapshot', image: images[cloud][0], fallback: null });
      const inst = await createInstance(cloud, `snap ${cloud}`);
      const row = await h.waitFor(inst.id, (r) => r.status === 'running' || r.status === 'failed', 90_000);
      expect(row.status, row.failureReason ?? '').toBe('running');
      expect(row.bootstrapPath).toBe('snapshot');
      expect(row.image).toBe(images[cloud][0]);
      const server = cloud === 'hetzner' ? hz.state.servers.get(Number(row.serverId)) : d.state.droplets.get(Number(row.serverId));
      expect(JSON.stringify((server as unknown as { image: unknown }).image)).toContain(images[cloud][0]);
      await h.api(`/v1/instances/${inst.id}`, { method: 'DELETE' });
      await h.waitFor(inst.id, (r) => r.status === 'stopped', 60_000);
    }, 120_000);

    it(`${cloud}: a requested snapshot that does not exist falls back to the full path with a warning event`, async () => {
      const plan = (await (await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: cloud, name: 'dry', workload: 'process', image: '987654321' } })).json()) as Record<string, unknown>;
      expect(plan.bootstrapPath).toBe('full');
      expect(String(plan.fallback)).toMatch(/987654321.*not found.*full install/);
      const inst = await createInstance(cloud, `fallback ${cloud}`, { image: '987654321' });
      const row = await h.waitFor(inst.id, (r) => r.status === 'running' || r.status === 'failed', 90_000);
      expect(row.status, row.failureReason ?? '').toBe('running');
      expect(row.bootstrapPath).toBe('full');
      const events = await h.engine.store.events(inst.id, { after: 0, limit: 500 });
      const warning = events.find((e) => e.kind === 'warning' && /987654321/.test(e.reason ?? ''));
      expect(warning?.reason).toMatch(/not found.*full install/);
      await h.api(`/v1/instances/${inst.id}`, { method: 'DELETE' });
      await h.waitFor(inst.id, (r) => r.status === 'stopped', 60_000);
    }, 120_000);

    it(`${cloud}: prune keeps the newest snapshot per bootstrap version`, async () => {
      const second = await build(cloud);
      expect(second.status, second.error ?? '').toBe('done');
      images[cloud].push(second.imageId!);
      const before = (await (await h.api(`/v1/snapshots?provider=${cloud}`)).json()) as { items: { id: string }[] };
      expect(before.items.map((s) => s.id).sort()).toEqual([...images[cloud]].sort());
      const res = await h.api(`/v1/snapshots/prune?provider=${cloud}`, { method: 'POST' });
      expect(res.status).toBe(200);
      const pruned = (await documentedRaw('post', '/v1/snapshots/prune', res)) as { deleted: { id: string }[]; kept: { id: string }[] };
      expect(pruned.kept.map((s) => s.id)).toEqual([second.imageId]);
      expect(pruned.deleted.map((s) => s.id)).toEqual([images[cloud][0]]);
      expect(snapshotLabels(cloud, images[cloud][0])).toBeUndefined();
      const after = (await (await h.api(`/v1/snapshots?provider=${cloud}`)).json()) as { items: { id: string }[] };
      expect(after.items.map((s) => s.id)).toEqual([second.imageId]);
      // Delete the last one by id; a second delete is a 404.
      expect((await h.api(`/v1/snapshots/${cloud}/${second.imageId}`, { method: 'DELETE' })).status).toBe(204);
      expect((await h.api(`/v1/snapshots/${cloud}/${second.imageId}`, { method: 'DELETE' })).status).toBe(404);
    }, 120_000);
  }

  it('a builder that reports failure fails the build and deletes the builder server', async () => {
    const hz2 = await startHetznerEmulator({ boot: agents, tokens: '*', bootDelayMs: 50, actionDelayMs: 20, snapshotBuilder: { installMs: 100, failWith: 'apt-get install docker-ce failed' } });
    try {
      const reg = providersFromEnv({ HETZNER_API_TOKEN: `hz-${randomUUID()}`, HCLOUD_ENDPOINT: hz2.baseUrl, HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' });
      const h2 = await startTestHangar('snapfail', { reconcileSeconds: 0 }, { providers: reg.providers, tailnet: null, snapshotIds: {}, noLocal: true });
      try {
        const res = await h2.api('/v1/snapshots', { method: 'POST', json: { provider: 'hetzner' } });
        const { id } = (await res.json()) as { id: string };
        let b: Build;
        const deadline = Date.now() + 30_000;
        do {
          await new Promise((r) => setTimeout(r, 200));
          b = (await (await h2.api(`/v1/snapshot-builds/${id}`)).json()) as Build;
        } while (b.status !== 'done' && b.status !== 'failed' && Date.now() < deadline);
        expect(b.status).toBe('failed');
        expect(b.error).toMatch(/apt-get install docker-ce failed/);
        const [builder] = (hz2.state.snapshot().boots as { id: string; buildId?: string }[]).filter((r) => r.buildId === id);
        expect(builder).toBeTruthy();
        await hz2.waitForServer(Number(builder.id), 'gone');
        expect(hz2.state.servers.size).toBe(0);
        expect([...hz2.state.images.values()].filter((i) => i.type === 'snapshot')).toEqual([]);
      } finally {
        await h2.close();
      }
    } finally {
      await hz2.stop();
    }
  }, 60_000);

  it('a builder that never reports fails the build at the ready timeout and deletes the builder server', async () => {
    const hz3 = await startHetznerEmulator({ boot: agents, tokens: '*', bootDelayMs: 50, actionDelayMs: 20, snapshotBuilder: false });
    try {
      const reg = providersFromEnv({ HETZNER_API_TOKEN: `hz-${randomUUID()}`, HCLOUD_ENDPOINT: hz3.baseUrl, HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' });
      const h3 = await startTestHangar('snaptimeout', { reconcileSeconds: 0 }, { providers: reg.providers, tailnet: null, snapshotIds: {}, noLocal: true, snapshotBuild: { readyTimeoutSeconds: 2 } });
      try {
        const { id } = (await (await h3.api('/v1/snapshots', { method: 'POST', json: { provider: 'hetzner' } })).json()) as { id: string };
        let b: Build;
        const deadline = Date.now() + 30_000;
        do {
          await new Promise((r) => setTimeout(r, 200));
          b = (await (await h3.api(`/v1/snapshot-builds/${id}`)).json()) as Build;
        } while (b.status !== 'done' && b.status !== 'failed' && Date.now() < deadline);
        expect(b.status).toBe('failed');
        expect(b.error).toMatch(/did not report ready within 2s/);
        expect(b.events.at(-1)?.message).toMatch(/builder server \d+ deleted/);
        await hz3.waitForServer(Number(b.serverId), 'gone');
      } finally {
        await h3.close();
      }
    } finally {
      await hz3.stop();
    }
  }, 60_000);

  it('HETZNER_SNAPSHOT_ID: used when it exists, a fallback reason when it does not; local always full', async () => {
    const plan = async (x: TestHangar, provider: string) => (await (await x.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider, name: 'env', workload: 'process' } })).json()) as Record<string, unknown>;
    // The environment's snapshot ids are fixed at start: a Hangar of its own for each value.
    const withEnvSnapshot = async (snapshotId: string, fn: (x: TestHangar) => Promise<void>) => {
      const reg = providersFromEnv({ HETZNER_API_TOKEN: `hz-${randomUUID()}`, HCLOUD_ENDPOINT: hz.baseUrl, HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' });
      const x = await startTestHangar('snapenv', { reconcileSeconds: 0 }, { providers: reg.providers, tailnet: null, snapshotIds: { hetzner: snapshotId } });
      try {
        await fn(x);
      } finally {
        await x.close();
      }
    };
    await withEnvSnapshot('424242', async (x) => {
      expect(await plan(x, 'hetzner')).toMatchObject({ bootstrapPath: 'full', fallback: expect.stringMatching(/424242 \(HETZNER_SNAPSHOT_ID\) was not found/) });
    });
    const b = await build('hetzner');
    await withEnvSnapshot(b.imageId!, async (x) => {
      // A dry run makes no cloud call: it answers from the snapshot list Hangar last saw.
      await x.api('/v1/snapshots?provider=hetzner');
      expect(await plan(x, 'hetzner')).toMatchObject({ bootstrapPath: 'snapshot', image: b.imageId, fallback: null, bootstrapPathReason: expect.stringMatching(/HETZNER_SNAPSHOT_ID/) });
      expect(await plan(x, 'local')).toMatchObject({ bootstrapPath: 'full', fallback: null });
    });
  }, 90_000);

  it('bad input is a 400 naming the field; the ready route needs the build token', async () => {
    const bad = await h.api('/v1/snapshots', { method: 'POST', json: { provider: 'local' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('provider');
    const loc = await h.api('/v1/snapshots', { method: 'POST', json: { provider: 'hetzner', location: 'NOT A LOCATION' } });
    expect(loc.status).toBe(400);
    expect(JSON.stringify(await loc.json())).toContain('location');
    const q = await h.api('/v1/snapshots?provider=aws');
    expect(q.status).toBe(400);
    const del = await h.api('/v1/snapshots/hetzner/abc', { method: 'DELETE' });
    expect(del.status).toBe(400);
    const ready = await fetch(`${h.url}/v1/snapshot-builds/${randomUUID()}/ready`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: JSON.stringify({ ok: true }) });
    expect(ready.status).toBe(401);
  });
});

/** Run the CLI in-process against the test Hangar; stdout and stderr as text. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stream = (write: (s: string) => void) => ({ write: (s: string) => (write(String(s)), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const code = await runCli([...args, '--url', h.url, '--api-key', h.apiKey], { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), env: {} });
  return { code, out, err };
}

describe('hangar snapshot (CLI)', () => {
  it('build --wait prints progress and exits 0; ls, prune and rm', async () => {
    const b = await cli('snapshot', 'build', '--provider', 'hetzner', '--wait');
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/builder server .* created/);
    expect(b.out).toMatch(/snapshot \d+ ready on hetzner/);
    const ls = await cli('snapshot', 'ls', '--json');
    expect(ls.code, ls.err).toBe(0);
    const items = JSON.parse(ls.out) as { id: string; provider: string; current: boolean }[];
    const ours = items.filter((i) => i.provider === 'hetzner');
    expect(ours.length).toBeGreaterThanOrEqual(1);
    const table = await cli('snapshot', 'ls');
    expect(table.out).toMatch(/PROVIDER\s+ID/);
    const prune = await cli('snapshot', 'prune');
    expect(prune.code, prune.err).toBe(0);
    expect(prune.out).toMatch(/kept/);
    const rm = await cli('snapshot', 'rm', 'hetzner', ours[0].id);
    expect(rm.code, rm.err).toBe(0);
    const again = await cli('snapshot', 'rm', 'hetzner', ours[0].id);
    expect(again.code).toBe(1);
    const usage = await cli('snapshot', 'build', '--provider', 'aws');
    expect(usage.code).toBe(2);
  }, 90_000);
});

function emuState(cloud: Cloud): Record<string, unknown> {
  return (cloud === 'hetzner' ? hz : d).state.snapshot();
}
