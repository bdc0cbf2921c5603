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
    expect(snap).toContain('check_image');
    // the full path is there only as the fallback for an image that does not fit
    expect(snap.match(/^\s*install_packages$/gm)).toEqual(['  install_packages']);
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

describe('snapshot path: check_image', () => {
  /** Run the rendered check_image in bash with fake tools, `node` reporting `version`. */
  function checkImage(workload: 'openclaw' | 'process', version: string): { code: number; log: string } {
    const dir = mkdtempSync(join(scratch, 'tools-'));
    for (const tool of ['docker', 'tailscale', 'ufw', 'fail2ban-client']) writeFileSync(join(dir, tool), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    // a node that answers --version and evaluates the version check against `version`
    writeFileSync(join(dir, 'node'), `#!/bin/sh\nif [ "$1" = --version ]; then echo v${version}; exit 0; fi\nexec ${process.execPath} -e "Object.defineProperty(process.versions, 'node', { value: '${version}' }); $2"\n`, { mode: 0o755 });
    const script = renderInstallScript(input({ path: 'snapshot', workload }));
    const fn = script.slice(script.indexOf('check_image() {'), script.indexOf('\n}\n', script.indexOf('check_image() {')) + 3);
    const log = 'log() { printf "%s\\n" "$*" >&2; }';
    try {
      execFileSync('bash', ['-c', `${log}\n${fn}\ncheck_image`], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { code: 0, log: '' };
    } catch (err) {
      const e = err as { status: number; stderr: string };
      return { code: e.status, log: e.stderr };
    }
  }

  it('accepts an image whose Node.js is new enough for the workload', () => {
    expect(checkImage('openclaw', '24.16.0').code).toBe(0);
    expect(checkImage('process', '20.19.1').code).toBe(0);
  });

  it('refuses a Node 20 image for OpenClaw (needs 24.16), so the full path runs instead', () => {
    expect(checkImage('openclaw', '20.19.1')).toEqual({ code: 1, log: "this image's node v20.19.1 is older than 24.16, which the openclaw workload needs\n" });
    expect(checkImage('openclaw', '24.15.9').code).toBe(1);
  });
});

