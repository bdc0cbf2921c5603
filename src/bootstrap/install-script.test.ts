import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import { FAIL2BAN_JAIL_PATH } from './fail2ban.ts';
import { CLOSE_PUBLIC_SSH_PATH } from './firewall.ts';
import { BUNDLE_SHA256, INSTANCE_ID, SERVER_NAME } from './fixtures.testing.ts';
import { closesPublicSsh, renderAgentEnv, renderBootstrapFiles, renderInstallScript } from './install-script.ts';
import { SSHD_DROPIN_PATH } from './sshd.ts';
import { AGENT_ENV_PATH } from './systemd.ts';
import type { InstallScriptInput } from './types.ts';

const input = (over: Partial<InstallScriptInput> = {}): InstallScriptInput => ({
  provider: 'hetzner',
  path: 'full',
  workload: 'openclaw',
  bootstrapVersion: 'v1-test',
  bootstrap: { apiUrl: 'https://hangar.example.com', instanceId: INSTANCE_ID, serverName: SERVER_NAME },
  agentBundleSha256: BUNDLE_SHA256,
  ...over,
});

const scratch = mkdtempSync(join(tmpdir(), 'hangar-install-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function filesOnly(script: string, root: string): string {
  const path = join(root, '..', `install-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, script);
  return execFileSync('bash', [path, '--files-only', root], { encoding: 'utf8' });
}

describe('renderInstallScript', () => {
  it('writes agent.env with seed 000 names, once (the agent owns it after enrollment)', () => {
    const env = renderAgentEnv(input() as Parameters<typeof renderAgentEnv>[0]);
    for (const name of ['AGENT_ID', 'SERVER_NAME', 'SERVER_ID', 'API_URL', 'NODE_ENV']) expect(env).toMatch(new RegExp(`^${name}=`, 'm'));
    expect(env).toContain(`SERVER_NAME='${SERVER_NAME}'`);
    expect(env).toContain("NODE_ENV='production'");
    const agentEnv = renderBootstrapFiles(input()).find((f) => f.path === AGENT_ENV_PATH)!;
    expect(agentEnv).toMatchObject({ mode: '0600', onlyIfMissing: true });
  });

  it('--files-only writes every embedded file with its mode, idempotently, and never rewrites agent.env', () => {
    const root = join(scratch, 'root');
    const script = renderInstallScript(input());
    const first = filesOnly(script, root);
    for (const f of renderBootstrapFiles(input())) {
      expect(first).toContain(`wrote ${f.path}`);
      expect(readFileSync(join(root, f.path), 'utf8')).toBe(f.content);
      expect((statSync(join(root, f.path)).mode & 0o777).toString(8).padStart(4, '0')).toBe(f.mode);
    }
    writeFileSync(join(root, AGENT_ENV_PATH), 'AGENT_ID=enrolled\n');
    expect(filesOnly(script, root)).toBe('');
    expect(readFileSync(join(root, AGENT_ENV_PATH), 'utf8')).toBe('AGENT_ID=enrolled\n');
  });

  it('lists host hardening files on the full path only', () => {
    const full = renderBootstrapFiles(input()).map((f) => f.path);
    expect(full).toEqual(expect.arrayContaining([SSHD_DROPIN_PATH, FAIL2BAN_JAIL_PATH, '/etc/apt/apt.conf.d/20auto-upgrades', '/etc/systemd/system/hangar-agent.service', AGENT_ENV_PATH, CLOSE_PUBLIC_SSH_PATH]));
    const snap = renderInstallScript(input({ path: 'snapshot' }));
    expect(snap).not.toContain('install_packages');
    expect(snap).toContain('check_image');
  });

  it('knows when public SSH closes', () => {
    expect(closesPublicSsh({})).toBe(true);
    expect(closesPublicSsh({ keepSsh: true })).toBe(false);
    expect(closesPublicSsh({ tailscale: false })).toBe(false);
    expect(renderBootstrapFiles(input({ keepSsh: true })).map((f) => f.path)).not.toContain(CLOSE_PUBLIC_SSH_PATH);
  });

  it('is deterministic and has no identity without instanceId/serverName', () => {
    expect(renderInstallScript(input())).toBe(renderInstallScript(input()));
    const image = renderInstallScript(input({ bootstrap: { apiUrl: 'https://hangar.example.com' } }));
    expect(image).not.toContain(AGENT_ENV_PATH.replace(/^/, 'put_new_file '));
    expect(image).not.toContain('start_agent');
  });

  it('rejects bad input with the fields named', () => {
    try {
      renderInstallScript(input({ provider: 'aws' as never, bootstrap: { apiUrl: 'https://x.example', instanceId: INSTANCE_ID } }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors?.map((e) => e.field)).toEqual(['provider', 'bootstrap']);
    }
  });
});
