import { describe, expect, it } from 'vitest';
import { renderAutoUpgrades, renderDockerDaemonJson, renderNodesourcePin } from './host-files.ts';
import { renderFail2banJail } from './fail2ban.ts';
import { closePublicSshRules, firewallRules, renderClosePublicSshScript, ufwLines } from './firewall.ts';
import { renderSshdDropIn } from './sshd.ts';
import { renderAgentUnit, renderOpenclawUnits, renderStackUnits, renderUnit } from './systemd.ts';

describe('systemd units', () => {
  it('renders sections in order and drops empty values', () => {
    expect(renderUnit('x', [['Unit', [['Description', 'd'], ['After', undefined]]], ['Service', [['Type', 'oneshot'], ['User', false]]], ['Install', []]])).toBe('# x\n\n[Unit]\nDescription=d\n\n[Service]\nType=oneshot\n');
  });

  it('runs the agent from /opt/hangar with its bootstrap config, env file and install log', () => {
    const u = renderAgentUnit().content;
    expect(u).toContain('ExecStart=/usr/bin/node /opt/hangar/agent/agent.mjs --config /opt/hangar/config/bootstrap.json --state-dir /opt/hangar/config');
    expect(u).toContain('EnvironmentFile=-/opt/hangar/config/agent.env');
    expect(u).toContain('Environment=HANGAR_BOOTSTRAP_LOG=/opt/hangar/logs/install.log');
    expect(u).toContain('Restart=always');
  });

  it('renders openclaw and stack units', () => {
    expect(renderOpenclawUnits({ version: '1.0.0', port: 18789, home: '/h', npmPrefix: '/h/.npm', envFile: '/e' }).map((u) => u.name)).toEqual(['openclaw-install.service', 'openclaw-gateway.service']);
    const stack = renderStackUnits({ name: 's', dir: '/opt/s', compose: ['/usr/bin/docker', 'compose'], updateScript: '/opt/s/update.sh', smokeScript: '/opt/s/smoke.sh' });
    expect(stack.map((u) => u.name)).toEqual(['s.service', 's-update.service', 's-update.timer', 's-smoke.service', 's-smoke.timer']);
    expect(stack[0].content).toContain('ExecReload=/usr/bin/docker compose up --detach --remove-orphans --wait --wait-timeout 600');
  });
});

describe('hardening files', () => {
  it('sshd: keys only', () => {
    const d = renderSshdDropIn();
    for (const l of ['PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitEmptyPasswords no', 'PermitRootLogin prohibit-password']) expect(d).toContain(l);
    expect(renderSshdDropIn({ permitRootLogin: 'no' })).toContain('PermitRootLogin no');
  });

  it('fail2ban: the sshd jail on the journal', () => {
    expect(renderFail2banJail()).toMatch(/^\[sshd\]\nenabled = true\nbackend = systemd\n/m);
    expect(renderFail2banJail({ maxRetry: 3, banTime: '1d' })).toContain('maxretry = 3');
  });

  it('ufw: default deny inbound, tailscale0 and 41641/udp open, SSH until the tailnet is up', () => {
    expect(firewallRules().map((r) => r.join(' '))).toEqual(['default deny incoming', 'default allow outgoing', 'allow in on tailscale0 comment hangar: tailnet', 'allow 41641/udp comment hangar: tailscale wireguard']);
    expect(firewallRules({ publicSsh: true }).at(-1)).toEqual(['allow', '22/tcp', 'comment', 'hangar: public ssh']);
    expect(closePublicSshRules()).toEqual([['delete', 'allow', '22/tcp']]);
    expect(ufwLines([['allow', 'in', 'on', 'tailscale0', 'comment', 'a b']])).toBe("ufw allow in on tailscale0 comment 'a b' >/dev/null");
    expect(renderClosePublicSshScript()).toContain('tailscale ip -4');
  });

  it('host files: unattended upgrades, docker log rotation, node pin', () => {
    expect(renderAutoUpgrades()).toContain('APT::Periodic::Unattended-Upgrade "1";');
    expect(JSON.parse(renderDockerDaemonJson())).toMatchObject({ 'log-driver': 'json-file', 'live-restore': true });
    expect(renderNodesourcePin()).toContain('Pin: origin deb.nodesource.com');
  });
});
