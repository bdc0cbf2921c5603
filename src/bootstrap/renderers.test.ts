import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_VERSION, redactUserData } from './cloud-init.ts';
import { extractBootstrap } from './extract.testing.ts';
import { BUNDLE_SHA256, TOKEN, WORKLOAD_VARIANTS, bootstrapInput, workloadInput } from './fixtures.testing.ts';
import { renderInstallScript } from './install-script.ts';
import { renderProcessWorkload } from './process-workload.ts';
import { defaultRenderers } from './renderers.ts';
import type { WorkloadInput } from './types.ts';

const row = (over: Partial<WorkloadInput>): WorkloadInput => ({ ...workloadInput('process'), ...over });

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
    const plain = renderProcessWorkload({});
    expect(r.workload(row({ workload: 'process', workloadConfig: {}, provider: 'local' }), {})).toEqual(plain);
    // on a server, as the hangar system user
    expect(r.workload(row({ workload: 'process', workloadConfig: {}, provider: 'hetzner' }), {})).toEqual({ ...plain, process: { ...plain.process, user: 'hangar' } });
    const v = WORKLOAD_VARIANTS['agent-manager'][0];
    expect(r.workload(row({ workload: 'agent-manager', workloadConfig: v.config, tailscale: false }), v.secrets).kind).toBe('agent-manager');
    expect(() => r.validateWorkload('compose', { compose: 'x: [' }, {})).toThrow(/config\.compose/);
  });

  it('offers the snapshot builder', () => {
    const ud = r.snapshotBuilderUserData({ provider: 'digital-ocean', bootstrapVersion: r.bootstrapVersion, apiUrl: 'https://h.example', buildId: 'b-1', buildToken: 'hgs_0123456789', agentBundleSha256: BUNDLE_SHA256 });
    expect(ud).toContain('/opt/hangar/bootstrap/snapshot-finalize.sh');
  });

  it('offers only what the engine uses', () => {
    expect(Object.keys(r).sort()).toEqual(['bootstrapVersion', 'completeSecrets', 'snapshotBuilderUserData', 'userData', 'validateWorkload', 'workload']);
  });
});

describe('install script and redaction (used directly, not through the engine contract)', () => {
  it('renders the install script on its own and redacts the token', () => {
    expect(renderInstallScript({ provider: 'ssh', path: 'full', workload: 'process', bootstrapVersion: BOOTSTRAP_VERSION, bootstrap: { apiUrl: 'https://h.example' }, agentBundleSha256: BUNDLE_SHA256 })).toMatch(/^#!\/bin\/bash/);
    expect(redactUserData(`x ${TOKEN} y`, TOKEN)).toBe('x [REDACTED] y');
  });
});
