/**
 * Every workload × bootstrap path × provider (and the snapshot builder), rendered, laid out as a
 * server would have it, and judged by the tools that will consume it on the server.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSnapshotBuilderUserData, renderUserData, BOOTSTRAP_VERSION } from '../../src/bootstrap/cloud-init.ts';
import { BUNDLE_SHA256, PATHS, PROVIDERS, KINDS, WORKLOAD_VARIANTS, bootstrapInput, fixedRandom, workloadInput } from '../../src/bootstrap/fixtures.testing.ts';
import { renderWorkload } from '../../src/bootstrap/workload.ts';
import { cloudInitSchemaCli, removeScratchDirs, report } from '../tools/judges.ts';
import { materialiseAll, type Case, type Server } from './artifacts.ts';
import { judgeCloudInit, judgeCompose, judgeEnvFiles, judgeFail2ban, judgeShellcheck, judgeSshd, judgeSystemd, judgeUfw } from './judge.ts';

let servers: Server[];

beforeAll(async () => {
  const cases: Case[] = [];
  for (const provider of PROVIDERS) {
    for (const path of PATHS) {
      for (const kind of KINDS) {
        const variant = path === 'full' ? 0 : 1;
        const { secrets } = WORKLOAD_VARIANTS[kind][variant];
        const input = bootstrapInput({ provider, path, workload: kind, tailscale: variant === 0, keepSsh: provider === 'digital-ocean' });
        cases.push({
          label: `${provider}-${path}-${kind}`,
          userData: renderUserData(input),
          plan: renderWorkload(workloadInput(kind, variant), secrets, { randomBytes: fixedRandom }),
          install: input,
          // Run the script itself once per provider × path (the rest differ only in identity).
          execute: kind === 'openclaw',
        });
      }
    }
  }
  for (const provider of ['hetzner', 'digital-ocean'] as const) {
    cases.push({
      label: `${provider}-snapshot-builder`,
      userData: renderSnapshotBuilderUserData({ provider, bootstrapVersion: BOOTSTRAP_VERSION, apiUrl: 'https://hangar.example.com', buildId: '6b1f3c9e-7d2a-4e8b-9c1d-2f3a4b5c6d7e', buildToken: 'hgs_build-token_0123456789', agentBundleSha256: BUNDLE_SHA256 }),
    });
  }
  servers = await materialiseAll(cases, 'matrix');
});

afterAll(removeScratchDirs);

describe('bootstrap artifacts, every workload × path × provider, judged by real tools', () => {
  it('materialises 30 instance servers and 2 builders', () => {
    expect(servers).toHaveLength(32);
  });

  it('cloud-init schema --config-file accepts every user-data', async () => {
    expect(await judgeCloudInit(servers)).toBe(32);
    // And the binary itself, on one instance and one builder.
    for (const label of ['hetzner-full-openclaw', 'digital-ocean-snapshot-builder']) {
      const r = await cloudInitSchemaCli(servers.find((s) => s.label === label)!.userDataFile);
      expect(r.code, report(r)).toBe(0);
    }
  });

  it('shellcheck accepts every script (install, close-ssh, builder, finalize, update, smoke)', async () => {
    const n = await judgeShellcheck(servers);
    // 30 distinct install scripts, 2 builder installs, build + finalize, close-ssh, update + smoke.
    expect(n).toBeGreaterThanOrEqual(37);
    const names = new Set(servers.flatMap((s) => s.scripts.map((f) => f.split('/').pop())));
    expect([...names].sort()).toEqual(['close-public-ssh.sh', 'install.sh', 'smoke.sh', 'snapshot-build.sh', 'snapshot-finalize.sh', 'update.sh']);
  });

  it('systemd-analyze verify accepts every unit and timer', async () => {
    const n = await judgeSystemd(servers);
    const names = new Set(servers.flatMap((s) => s.units));
    for (const u of ['hangar-agent.service', 'openclaw-install.service', 'openclaw-gateway.service', 'ai-ops-runner.service', 'ai-ops-runner-update.timer', 'ai-ops-runner-smoke.timer', 'test-runner-update.service', 'test-runner-smoke.service']) {
      expect(names).toContain(u);
    }
    // Distinct unit sets: the agent alone, with either openclaw variant, with either runner stack.
    expect(n).toBe(1 + 3 + 3 + 6 + 6);
  });

  it('every compose file matches the compose-spec JSON schema', async () => {
    // agent-manager, runner-stack and compose, in each of 6 provider × path cells.
    expect(await judgeCompose(servers)).toBe(18);
  });

  it('ufw accepts the firewall rules (dry run, then applied in a scratch datadir)', async () => {
    expect(await judgeUfw(servers)).toBeGreaterThanOrEqual(1);
  });

  it('fail2ban-client -t accepts the sshd jail', async () => {
    expect(await judgeFail2ban(servers)).toBe(1);
  });

  it('sshd -t accepts the hardening drop-in, and it wins over cloud images\' defaults', async () => {
    expect(await judgeSshd(servers)).toBe(1);
  });

  it('env files read back every secret literally in bash', async () => {
    const secrets = KINDS.flatMap((k) => WORKLOAD_VARIANTS[k].flatMap((v) => Object.values(v.secrets)));
    expect(await judgeEnvFiles(servers, secrets)).toBeGreaterThan(20);
  });

  it('secret files are 0600 and the bootstrap token is only in bootstrap.json', async () => {
    for (const s of servers) {
      for (const [path, mode] of s.modes) {
        if (/bootstrap\.json$|agent\.env$|\/env$|\.env$|build\.env$/.test(path) && !path.endsWith('stack.env')) expect(`${s.label} ${path} ${mode}`).toBe(`${s.label} ${path} 0600`);
      }
      const hits = [];
      for (const [path] of s.modes) if ((await readFile(join(s.root, path), 'utf8')).includes('hgb_')) hits.push(path);
      expect(hits).toEqual(s.label.endsWith('builder') ? [] : ['/opt/hangar/config/bootstrap.json']);
    }
  });
});
