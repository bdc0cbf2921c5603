import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootstrapInput } from '../bootstrap/fixtures.testing.ts';
import { LocalProvider } from './local.ts';

const dir = mkdtempSync(join(tmpdir(), 'hangar-local-provider-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in agent bundle that exits at once: only what the provider hands it matters here. */
const bundle = join(dir, 'agent.mjs');
writeFileSync(bundle, 'process.exit(0);\n');

describe('LocalProvider', () => {
  it("writes the agent's bootstrap.json (0600) from the spec's structured bootstrap, whatever the user-data says", async () => {
    const local = new LocalProvider({ baseDir: join(dir, 'servers'), agentBundle: bundle });
    const instanceId = randomUUID();
    const b = bootstrapInput({ provider: 'local', bootstrap: { apiUrl: 'http://127.0.0.1:9', token: 'hgb_local', instanceId, serverName: 'hangar-local-1' } });
    const info = await local.createServer({ name: 'hangar-local-1', labels: { 'hangar.dev/instance': instanceId }, userData: 'not cloud-init', bootstrap: b });
    const config = join(dir, 'servers', info.id, 'bootstrap.json');
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual(b.bootstrap);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect((await local.findServers({ labels: { 'hangar.dev/instance': instanceId } })).map((s) => s.id)).toEqual([info.id]);
    await local.deleteServer(info.id);
    expect(await local.getServer(info.id)).toBeNull();
  });

  it('refuses a spec without its bootstrap (422 invalid_input), creating nothing', async () => {
    const local = new LocalProvider({ baseDir: join(dir, 'refused'), agentBundle: bundle });
    await expect(local.createServer({ name: 'hangar-local-2', labels: {}, userData: '#cloud-config\n' })).rejects.toMatchObject({ code: 'invalid_input', httpStatus: 422 });
    expect(await local.findServers({})).toEqual([]);
  });

  it('boots a server whose creator died before starting its agent, once, however many look at it', async () => {
    // What a crash between the record and the spawn leaves: server.json and bootstrap.json, no pid.
    const sleeper = join(dir, 'sleeper.mjs');
    writeFileSync(sleeper, 'setTimeout(() => {}, 20_000);\n');
    const base = join(dir, 'crashed');
    const id = 'local-0123456789ab';
    mkdirSync(join(base, id), { recursive: true });
    writeFileSync(join(base, id, 'server.json'), JSON.stringify({ id, name: 'hangar-crashed', labels: { 'hangar.dev/instance': 'i-1' }, pid: null, createdAt: new Date().toISOString() }));
    writeFileSync(join(base, id, 'bootstrap.json'), '{}');
    const local = new LocalProvider({ baseDir: base, agentBundle: sleeper });
    const seen = await Promise.all([local.findServers({ labels: { 'hangar.dev/instance': 'i-1' } }), local.getServer(id), local.findServers({}), local.getServer(id)]);
    expect(seen.flat().map((s) => s?.id)).toEqual([id, id, id, id]);
    const agents = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--state-dir\0${join(base, id)}\0`); } catch { return false; } });
    expect(agents()).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(base, id, 'server.json'), 'utf8')).pid).toBe(Number(agents()[0]));
    expect((await local.getServer(id))?.status).toBe('running');
    await local.deleteServer(id);
    expect(agents()).toHaveLength(0);
  });
});
