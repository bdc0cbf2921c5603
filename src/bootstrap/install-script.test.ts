import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import { FAIL2BAN_JAIL_PATH } from './fail2ban.ts';
import { CLOSE_PUBLIC_SSH_PATH } from './firewall.ts';
import { INSTANCE_ID, installInput } from './fixtures.testing.ts';
import { renderBootstrapFiles } from './install-files.ts';
import { renderInstallScript } from './install-script.ts';
import { SSHD_DROPIN_PATH } from './sshd.ts';
import { AGENT_ENV_PATH } from './systemd.ts';

const input = installInput;

const scratch = mkdtempSync(join(tmpdir(), 'hangar-install-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function filesOnly(script: string, root: string): string {
  const path = join(root, '..', `install-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, script);
  return execFileSync('bash', [path, '--files-only', root], { encoding: 'utf8' });
}

describe('renderInstallScript', () => {
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
