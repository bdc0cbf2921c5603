/**
 * The files the install script writes from its own text: host hardening and package
 * configuration (full path only) and the agent's unit, environment and close-SSH script. What
 * `install.sh --files-only DIR` materialises and what a dry run lists.
 *
 * @example
 * renderBootstrapFiles(input).map((f) => f.path) // → ['/etc/ssh/sshd_config.d/10-hangar.conf', …]
 */
import { renderEnvFile } from './env-file.ts';
import { FAIL2BAN_JAIL_PATH, renderFail2banJail } from './fail2ban.ts';
import { CLOSE_PUBLIC_SSH_PATH, renderClosePublicSshScript } from './firewall.ts';
import {
  AUTO_UPGRADES_PATH,
  DOCKER_DAEMON_PATH,
  NODESOURCE_PIN_PATH,
  renderAutoUpgrades,
  renderDockerDaemonJson,
  renderNodesourcePin,
} from './host-files.ts';
import { closesPublicSsh, hasIdentity, validateInstallInput } from './install-input.ts';
import { SSHD_DROPIN_PATH, renderSshdDropIn } from './sshd.ts';
import { AGENT_ENV_PATH, renderAgentUnit } from './systemd.ts';
import type { BootstrapFile, InstallScriptInput } from './types.ts';

/**
 * The agent's environment file, with seed 000's names (`AGENT_ID`, `SERVER_NAME`, `SERVER_ID`,
 * `API_URL`, `NODE_ENV`) plus Hangar's own. `AGENT_ID` and `SERVER_ID` are unknown until the agent
 * enrolls; the agent rewrites this file then, so the install script writes it only once. No
 * secrets: the bootstrap token stays in bootstrap.json.
 *
 * @example
 * renderAgentEnv(input).includes("SERVER_NAME='hangar-demo-0f0e0d0c'") // → true
 */
export function renderAgentEnv(input: InstallScriptInput & { bootstrap: { instanceId: string; serverName: string } }): string {
  const e = (name: string, value: string): [string, string, string] => [name, value, name];
  return renderEnvFile(
    [
      e('AGENT_ID', ''),
      e('SERVER_NAME', input.bootstrap.serverName),
      e('SERVER_ID', ''),
      e('API_URL', input.bootstrap.apiUrl),
      e('NODE_ENV', 'production'),
      e('HANGAR_INSTANCE_ID', input.bootstrap.instanceId),
      e('HANGAR_PROVIDER', input.provider),
      e('HANGAR_WORKLOAD', input.workload),
      e('HANGAR_BOOTSTRAP_VERSION', input.bootstrapVersion),
      e('HANGAR_BOOTSTRAP_PATH', input.path),
    ],
    'Managed by Hangar: the agent environment (seed 000 names). AGENT_ID and SERVER_ID are filled in at enrollment.',
  );
}

/** Host hardening and package configuration files (written on the full path). */
export function renderHostFiles(): BootstrapFile[] {
  return [
    { path: SSHD_DROPIN_PATH, content: renderSshdDropIn(), mode: '0644', owner: 'root:root' },
    { path: FAIL2BAN_JAIL_PATH, content: renderFail2banJail(), mode: '0644', owner: 'root:root' },
    { path: AUTO_UPGRADES_PATH, content: renderAutoUpgrades(), mode: '0644', owner: 'root:root' },
    { path: DOCKER_DAEMON_PATH, content: renderDockerDaemonJson(), mode: '0644', owner: 'root:root' },
    { path: NODESOURCE_PIN_PATH, content: renderNodesourcePin(), mode: '0644', owner: 'root:root' },
  ];
}

/** The agent's files (written on both paths): its unit, its env (with an identity) and the close-SSH script. */
export function renderAgentFiles(input: InstallScriptInput): BootstrapFile[] {
  const unit = renderAgentUnit();
  const files: BootstrapFile[] = [{ path: `/etc/systemd/system/${unit.name}`, content: unit.content, mode: '0644', owner: 'root:root' }];
  if (hasIdentity(input)) files.push({ path: AGENT_ENV_PATH, content: renderAgentEnv(input), mode: '0600', owner: 'root:root', onlyIfMissing: true });
  if (closesPublicSsh(input)) files.push({ path: CLOSE_PUBLIC_SSH_PATH, content: renderClosePublicSshScript(), mode: '0700', owner: 'root:root' });
  return files;
}

/**
 * Every file the install script writes from its own text, in order: what `install.sh
 * --files-only DIR` materialises and what a dry run lists.
 *
 * @example
 * renderBootstrapFiles(input).map((f) => f.path) // → ['/etc/ssh/sshd_config.d/10-hangar.conf', …]
 */
export function renderBootstrapFiles(input: InstallScriptInput): BootstrapFile[] {
  validateInstallInput(input);
  return [...renderHostFiles(), ...renderAgentFiles(input)];
}
