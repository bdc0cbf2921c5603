import { describe, expect, it } from 'vitest';
import { FAIL2BAN_JAIL_PATH } from './fail2ban.ts';
import { CLOSE_PUBLIC_SSH_PATH } from './firewall.ts';
import { SERVER_NAME, installInput } from './fixtures.testing.ts';
import { renderAgentEnv, renderBootstrapFiles } from './install-files.ts';
import { closesPublicSsh } from './install-input.ts';
import { SSHD_DROPIN_PATH } from './sshd.ts';
import { AGENT_ENV_PATH } from './systemd.ts';

const input = installInput;

describe('the files the install script writes', () => {
  it('writes agent.env with seed 000 names, once (the agent owns it after enrollment)', () => {
    const env = renderAgentEnv(input() as Parameters<typeof renderAgentEnv>[0]);
    for (const name of ['AGENT_ID', 'SERVER_NAME', 'SERVER_ID', 'API_URL', 'NODE_ENV']) expect(env).toMatch(new RegExp(`^${name}=`, 'm'));
    expect(env).toContain(`SERVER_NAME='${SERVER_NAME}'`);
    expect(env).toContain("NODE_ENV='production'");
    const agentEnv = renderBootstrapFiles(input()).find((f) => f.path === AGENT_ENV_PATH)!;
    expect(agentEnv).toMatchObject({ mode: '0600', onlyIfMissing: true });
  });

  it('knows when public SSH closes, and leaves the close script out when it stays open', () => {
    expect(closesPublicSsh({})).toBe(true);
    expect(closesPublicSsh({ keepSsh: true })).toBe(false);
    expect(closesPublicSsh({ tailscale: false })).toBe(false);
    expect(renderBootstrapFiles(input({ keepSsh: true })).map((f) => f.path)).not.toContain(CLOSE_PUBLIC_SSH_PATH);
  });

  it('lists host hardening on the full path only; the agent env only with an identity', () => {
    expect(renderBootstrapFiles(input()).map((f) => f.path)).toEqual(expect.arrayContaining([SSHD_DROPIN_PATH, FAIL2BAN_JAIL_PATH, AGENT_ENV_PATH]));
    expect(renderBootstrapFiles(input({ bootstrap: { apiUrl: 'https://hangar.example.com' } })).map((f) => f.path)).not.toContain(AGENT_ENV_PATH);
  });
});
