import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workload, vendorUnitClash } from './workload.ts';

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
