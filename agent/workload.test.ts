import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Workload, processIdentity, vendorUnitClash } from './workload.ts';

let vendor: string;
beforeAll(async () => {
  vendor = await mkdtemp(join(tmpdir(), 'vendor-units-'));
  await writeFile(join(vendor, 'tailscaled.service'), '[Unit]\n');
});
afterAll(async () => {
  await rm(vendor, { recursive: true, force: true });
});

describe('vendorUnitClash', () => {
  it('finds the system unit a stack unit would override, and only under /etc/systemd/system', async () => {
    expect(await vendorUnitClash('/etc/systemd/system/tailscaled.service', [vendor])).toBe(join(vendor, 'tailscaled.service'));
    expect(await vendorUnitClash('/etc/systemd/system/ai-ops-runner.service', [vendor])).toBeNull();
    expect(await vendorUnitClash('/opt/x/tailscaled.service', [vendor])).toBeNull();
  });

  it('reads the real system unit directories by default', async () => {
    // Debian ships apt-daily.service on every machine this runs on (CI included).
    expect(await vendorUnitClash('/etc/systemd/system/apt-daily.service')).toMatch(/\/systemd\/system\/apt-daily\.service$/);
  });

  it('makes a workload refuse to start rather than replace a system unit', async () => {
    const lines: string[] = [];
    const w = new Workload({ files: [{ path: '/etc/systemd/system/apt-daily.service', content: '[Unit]\n', mode: '0644' }], start: [], process: null, health: { type: 'none' } } as never, (l) => lines.push(l));
    await expect(w.start()).rejects.toThrow(/would replace the system's own unit .*apt-daily\.service/);
    expect(lines).toEqual([]);
  });
});

describe('process workloads run as their system user, not root', () => {
  const root = process.getuid?.() === 0;
  const plan = (user: string) => ({ kind: 'process', files: [], start: [], stop: [], process: { command: '/bin/sh', args: ['-c', 'id -u; sleep 30'], port: 1, user }, health: { type: 'none' } }) as never;

  it.skipIf(!root)('switches to the plan\'s user when the agent is root', async () => {
    const lines: string[] = [];
    const w = new Workload(plan('nobody'), (l) => lines.push(l));
    await w.start();
    try {
      await vi.waitFor(() => expect(lines).toContain('[workload] 65534'), { timeout: 10_000 });
    } finally {
      await w.stop();
    }
  });

  it.skipIf(!root)('says so loudly when the user does not exist and it must run as the agent\'s user', async () => {
    const lines: string[] = [];
    expect(await processIdentity('no-such-user-hangar', (l) => lines.push(l))).toBeNull();
    expect(lines).toEqual([expect.stringMatching(/^WARNING: user no-such-user-hangar does not exist on this server/)]);
  });

  it('asks for nothing when the plan names no user', async () => {
    expect(await processIdentity(undefined, () => {})).toBeNull();
  });
});

describe('compose health check', () => {
  it('asks about the project the stack was started under, not the name: inside the file', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'fake-docker-'));
    const calls = join(bin, 'calls');
    await writeFile(join(bin, 'docker'), `#!/bin/sh\necho "$*" >> ${calls}\necho '{"Service":"web","State":"running"}'\n`, { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      const w = new Workload({ kind: 'compose', files: [], start: [], stop: [], health: { type: 'compose', file: '/opt/app/docker-compose.yml', project: 'app', services: ['web'] } } as never, () => {});
      expect(await w.check()).toEqual({ healthy: true, detail: 'all services up' });
      expect(await readFile(calls, 'utf8')).toBe('compose -p app -f /opt/app/docker-compose.yml ps --format json\n');
    } finally {
      process.env.PATH = saved;
      await rm(bin, { recursive: true, force: true });
    }
  });
});
