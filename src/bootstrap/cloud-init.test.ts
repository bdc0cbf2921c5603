import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ValidationError } from '../domain/errors.ts';
import {
  BOOTSTRAP_VERSION,
  SNAPSHOT_BUILD_ENV_PATH,
  SNAPSHOT_BUILD_SCRIPT_PATH,
  SNAPSHOT_FINALIZE_SCRIPT_PATH,
  VERSION_PIN,
  redactUserData,
  renderSnapshotBuilderUserData,
  renderSnapshotFinalizeScript,
  renderUserData,
} from './cloud-init.ts';
import { extractBootstrap, extractSnapshotBuild } from './extract.testing.ts';
import { BUNDLE_SHA256, INSTANCE_ID, KINDS, PATHS, PROVIDERS, SERVER_NAME, TOKEN, bootstrapInput } from './fixtures.testing.ts';
import { INSTALL_SCRIPT_PATH, renderInstallScript } from './install-script.ts';
import { BOOTSTRAP_PATH } from './types.ts';

type Doc = { write_files: { path: string; content: string; permissions: string; owner: string }[]; runcmd: string[][]; ssh_authorized_keys?: string[] };
const doc = (userData: string) => parse(userData) as Doc;
const file = (userData: string, path: string) => doc(userData).write_files.find((f) => f.path === path);

const builderInput = {
  provider: 'hetzner' as const,
  bootstrapVersion: BOOTSTRAP_VERSION,
  apiUrl: 'https://hangar.example.com',
  buildId: '6b1f3c9e-7d2a-4e8b-9c1d-2f3a4b5c6d7e',
  buildToken: 'hgs_build-token_0123456789',
  agentBundleSha256: BUNDLE_SHA256,
};

describe('renderUserData', () => {
  it('writes bootstrap.json (0600) and the install script (0700), then runs it', () => {
    const ud = renderUserData(bootstrapInput());
    expect(ud.startsWith('#cloud-config\n')).toBe(true);
    const cfg = file(ud, BOOTSTRAP_PATH)!;
    expect(cfg).toMatchObject({ permissions: '0600', owner: 'root:root' });
    expect(JSON.parse(cfg.content)).toEqual({ apiUrl: 'https://hangar.example.com', token: TOKEN, instanceId: INSTANCE_ID, serverName: SERVER_NAME });
    expect(file(ud, INSTALL_SCRIPT_PATH)).toMatchObject({ permissions: '0700' });
    expect(doc(ud).runcmd).toEqual([['bash', INSTALL_SCRIPT_PATH]]);
  });

  it('is extractable for every provider × path × workload, including the local provider', () => {
    for (const provider of PROVIDERS) {
      for (const path of PATHS) {
        for (const workload of KINDS) {
          const ud = renderUserData(bootstrapInput({ provider, path, workload }));
          expect(extractBootstrap(ud)).toEqual({ apiUrl: 'https://hangar.example.com', token: TOKEN, instanceId: INSTANCE_ID, serverName: SERVER_NAME });
        }
      }
    }
  });

  it('renders the same bytes twice', () => {
    for (const path of PATHS) {
      for (const workload of KINDS) {
        const input = bootstrapInput({ path, workload, sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7g admin@example'] });
        expect(renderUserData(input)).toBe(renderUserData(structuredClone(input)));
      }
    }
  });

  it('carries the one-time token once, in bootstrap.json, and nothing else secret', () => {
    const ud = renderUserData(bootstrapInput({ workload: 'agent-manager' }));
    expect(ud.split(TOKEN)).toHaveLength(2);
    expect(file(ud, BOOTSTRAP_PATH)!.content).toContain(TOKEN);
    expect(ud).not.toMatch(/STATIC_API_KEY|GIT_TOKEN|CURSOR_API_KEY|OPENCLAW_GATEWAY_TOKEN|POSTGRES_PASSWORD/);
    const redacted = redactUserData(ud, TOKEN);
    expect(redacted).not.toContain(TOKEN);
    expect(redacted).toContain('[REDACTED]');
  });

  it('stays well under 32 KiB for every workload, path and provider', () => {
    for (const provider of PROVIDERS) {
      for (const path of PATHS) {
        for (const workload of KINDS) {
          const bytes = Buffer.byteLength(renderUserData(bootstrapInput({ provider, path, workload })));
          expect(bytes).toBeLessThan(20 * 1024);
        }
      }
    }
    expect(Buffer.byteLength(renderSnapshotBuilderUserData(builderInput))).toBeLessThan(24 * 1024);
  });

  it('full path installs everything seed 000 lists; snapshot path only syncs the clock, writes config, starts the agent (full path only when the image does not fit)', () => {
    const full = file(renderUserData(bootstrapInput({ path: 'full', workload: 'openclaw' })), INSTALL_SCRIPT_PATH)!.content;
    for (const s of ['docker-ce', 'docker-compose-plugin', 'nodejs', 'node_24.x', 'tailscale', 'fail2ban', 'ufw', 'unattended-upgrades', 'chrony', ' git', '--shell /usr/sbin/nologin', 'ensure_user openclaw', 'provisioned_at', 'configure_sshd', 'configure_fail2ban', 'configure_ufw', 'start_agent']) {
      expect(full).toContain(s);
    }
    const snap = file(renderUserData(bootstrapInput({ path: 'snapshot', workload: 'openclaw' })), INSTALL_SCRIPT_PATH)!.content;
    const main = snap.slice(snap.lastIndexOf('\nmake_dirs\n'));
    const fits = main.slice(main.indexOf('if check_image; then'), main.indexOf('\nelse\n'));
    expect(fits.split('\n').map((l) => l.trim()).filter((l) => /^[a-z_]+$/.test(l))).toEqual(['sync_clock', 'write_agent_files']);
    expect(main.split('\n').filter((l) => /^[a-z_]+$/.test(l))).toEqual(['make_dirs', 'else', 'fi', 'fetch_agent', 'start_agent']);
    const fallback = main.slice(main.indexOf('\nelse\n'), main.indexOf('\nfi\n') + 1);
    expect(fallback).toContain('falling back to the full path');
    for (const step of ['detect_os', 'install_packages', 'configure_ufw', 'configure_sshd', 'configure_fail2ban']) expect(fallback).toContain(`  ${step}\n`);
  });

  it('closes public SSH after the tailnet is up unless keepSsh, or when there is no tailnet', () => {
    const closes = (over: Parameters<typeof bootstrapInput>[0]) => file(renderUserData(bootstrapInput(over)), INSTALL_SCRIPT_PATH)!.content.includes('close-public-ssh.sh 0700');
    expect(closes({})).toBe(true);
    expect(closes({ keepSsh: true })).toBe(false);
    expect(closes({ tailscale: false })).toBe(false);
    expect(file(renderUserData(bootstrapInput({ keepSsh: true })), INSTALL_SCRIPT_PATH)!.content).toContain('KEEP_PUBLIC_SSH=yes');
  });

  it('adds ssh_authorized_keys when given, and validates them', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7g admin@example';
    expect(doc(renderUserData(bootstrapInput({ sshAuthorizedKeys: [key] }))).ssh_authorized_keys).toEqual([key]);
    expect(() => renderUserData(bootstrapInput({ sshAuthorizedKeys: ['not a key\nruncmd: [reboot]'] }))).toThrow(ValidationError);
  });

  it('rejects bad input with the fields named', () => {
    try {
      renderUserData(bootstrapInput({ bootstrap: { apiUrl: "https://x.example/'; reboot #", token: 'short', instanceId: '../etc', serverName: 'Bad_Name' } }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors?.map((e) => e.field).sort()).toEqual(['bootstrap.apiUrl', 'bootstrap.instanceId', 'bootstrap.serverName', 'bootstrap.token']);
    }
  });
});


describe('BOOTSTRAP_VERSION', () => {
  it('is a content hash of the install recipe', () => {
    expect(BOOTSTRAP_VERSION).toMatch(/^v1-[0-9a-f]{12}$/);
    const hash = createHash('sha256');
    for (const provider of ['hetzner', 'digital-ocean'] as const) {
      for (const path of ['full', 'snapshot'] as const) {
        hash.update(renderInstallScript({ provider, path, workload: 'process', bootstrapVersion: 'v0', bootstrap: { apiUrl: 'https://hangar.invalid' }, agentBundleSha256: VERSION_PIN }));
      }
    }
    expect(BOOTSTRAP_VERSION).toBe(`v1-${hash.digest('hex').slice(0, 12)}`);
  });
});

describe('extractBootstrap', () => {
  it('reads base64-encoded files too, and refuses what is not a Hangar user-data', () => {
    const cfg = { apiUrl: 'https://h.example', token: TOKEN, instanceId: INSTANCE_ID, serverName: SERVER_NAME };
    const b64 = `#cloud-config\n${stringify({ write_files: [{ path: BOOTSTRAP_PATH, encoding: 'b64', content: Buffer.from(JSON.stringify(cfg)).toString('base64') }] })}`;
    expect(extractBootstrap(b64)).toEqual(cfg);
    expect(() => extractBootstrap('#!/bin/bash\necho hi\n')).toThrow(/not a #cloud-config/);
    expect(() => extractBootstrap(renderSnapshotBuilderUserData(builderInput))).toThrow(/has no \/opt\/hangar\/config\/bootstrap.json/);
    expect(() => extractBootstrap(`#cloud-config\n${stringify({ write_files: [{ path: BOOTSTRAP_PATH, content: '{"apiUrl":"x"}' }] })}`)).toThrow(/lacks token/);
  });
});

describe('renderSnapshotBuilderUserData', () => {
  const ud = renderSnapshotBuilderUserData(builderInput);

  it('runs the full install with no instance identity, then the build script', () => {
    expect(file(ud, BOOTSTRAP_PATH)).toBeUndefined();
    const install = file(ud, INSTALL_SCRIPT_PATH)!.content;
    expect(install).toContain('no instance identity (image build)');
    expect(install).toContain('install_packages');
    expect(install).not.toMatch(/put_new_file \/opt\/hangar\/config\/agent\.env|start_agent|provisioned_at/);
    expect(doc(ud).runcmd).toEqual([['bash', SNAPSHOT_BUILD_SCRIPT_PATH]]);
    expect(file(ud, SNAPSHOT_FINALIZE_SCRIPT_PATH)).toMatchObject({ permissions: '0700' });
  });

  it('keeps the build token in a 0600 env file the emulators can read back', () => {
    expect(file(ud, SNAPSHOT_BUILD_ENV_PATH)).toMatchObject({ permissions: '0600' });
    expect(extractSnapshotBuild(ud)).toEqual({ apiUrl: builderInput.apiUrl, buildId: builderInput.buildId, buildToken: builderInput.buildToken, bootstrapVersion: BOOTSTRAP_VERSION });
    expect(extractSnapshotBuild(renderUserData(bootstrapInput()))).toBeNull();
    expect(renderSnapshotBuilderUserData(builderInput)).toBe(ud);
  });

  it('signals the control plane and cleans everything instance-specific before imaging', () => {
    const build = file(ud, SNAPSHOT_BUILD_SCRIPT_PATH)!.content;
    expect(build).toContain('/v1/snapshot-builds/$HANGAR_BUILD_ID/ready');
    expect(build).toContain('report false');
    const clean = renderSnapshotFinalizeScript();
    for (const s of ['cloud-init clean --logs', 'truncate -s 0 /etc/machine-id', '/var/lib/tailscale', '/etc/ssh/ssh_host_', '/opt/hangar/config', 'truncate -s 0 {} +', 'journalctl --vacuum-time', 'rm -rf /opt/hangar/bootstrap', 'systemctl poweroff']) {
      expect(clean).toContain(s);
    }
    expect(clean.indexOf('rm -rf /opt/hangar/bootstrap')).toBeLessThan(clean.indexOf('systemctl poweroff'));
  });

  it('rejects bad input with the fields named', () => {
    expect(() => renderSnapshotBuilderUserData({ ...builderInput, buildId: 'x y', buildToken: "t'" })).toThrow(/buildId.*buildToken/);
  });
});
