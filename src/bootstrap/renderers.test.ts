import { describe, expect, it } from 'vitest';
import type { InstanceRow } from '../engine/store.ts';
import { defaultRenderers } from '../renderers.ts';
import { BOOTSTRAP_VERSION } from './cloud-init.ts';
import { extractBootstrap } from './extract.ts';
import { BUNDLE_SHA256, TOKEN, WORKLOAD_VARIANTS, bootstrapInput, workloadInput } from './fixtures.testing.ts';
import { renderProcessWorkload } from './process-workload.ts';

const row = (over: Partial<InstanceRow>) => ({ ...workloadInput('process'), ...over }) as unknown as InstanceRow;

describe('defaultRenderers (the engine contract)', () => {
  const r = defaultRenderers();

  it('labels snapshots with the install recipe hash', () => {
    expect(r.bootstrapVersion).toBe(BOOTSTRAP_VERSION);
  });

  it('renders extractable user-data for every provider, the local one included', () => {
    for (const provider of ['local', 'hetzner', 'digital-ocean'] as const) {
      expect(extractBootstrap(r.userData(bootstrapInput({ provider, bootstrapVersion: r.bootstrapVersion }))).token).toBe(TOKEN);
    }
  });

  it('renders workloads from an instance row: process exactly as before', () => {
    expect(r.workload(row({ workload: 'process', workloadConfig: {} }), {})).toEqual(renderProcessWorkload({}));
    const v = WORKLOAD_VARIANTS['agent-manager'][0];
    expect(r.workload(row({ workload: 'agent-manager', workloadConfig: v.config, tailscale: false }), v.secrets).kind).toBe('agent-manager');
    expect(() => r.validateWorkload('compose', { compose: 'x: [' }, {})).toThrow(/config\.compose/);
  });

  it('offers the snapshot builder, install script and redaction', () => {
    const ud = r.snapshotBuilderUserData({ provider: 'digital-ocean', bootstrapVersion: r.bootstrapVersion, apiUrl: 'https://h.example', buildId: 'b-1', buildToken: 'hgs_0123456789', agentBundleSha256: BUNDLE_SHA256 });
    expect(ud).toContain('/opt/hangar/bootstrap/snapshot-finalize.sh');
    expect(r.installScript({ provider: 'ssh', path: 'full', workload: 'process', bootstrapVersion: r.bootstrapVersion, bootstrap: { apiUrl: 'https://h.example' }, agentBundleSha256: BUNDLE_SHA256 })).toMatch(/^#!\/bin\/bash/);
    expect(r.redactUserData(`x ${TOKEN} y`, TOKEN)).toBe('x [REDACTED] y');
  });
});

describe('preview (dry run)', () => {
  it('shows the exact user-data with the token redacted, the files, and a redacted plan', () => {
    const r = defaultRenderers();
    const v = WORKLOAD_VARIANTS['agent-manager'][0];
    const p = r.preview(bootstrapInput({ workload: 'agent-manager' }), workloadInput('agent-manager', 0), v.secrets);
    expect(p.userData).toContain('[REDACTED]');
    expect(p.userData).not.toContain(TOKEN);
    expect(p.userDataBytes).toBe(Buffer.byteLength(r.userData(bootstrapInput({ workload: 'agent-manager' }))));
    expect(p.userDataLimit).toBe(32768);
    expect(p.files.map((f) => f.path)).toContain('/etc/ssh/sshd_config.d/10-hangar.conf');
    const text = JSON.stringify(p.workload);
    for (const s of Object.values(v.secrets)) expect(text).not.toContain(JSON.stringify(s).slice(1, -1));
    expect(text).toMatch(/STATIC_API_KEY='\[REDACTED\]'/);
    expect(() => r.preview(bootstrapInput({ workload: 'compose' }), workloadInput('compose', 0, { workloadConfig: { compose: 'nope' } }), {})).toThrow(/config\.compose/);
  });
});
