/**
 * Small host configuration files the install script writes besides units and hardening
 * drop-ins: unattended security upgrades, Docker's daemon.json and the NodeSource apt pin.
 */

/** apt periodic settings: refresh lists and run unattended-upgrades daily. The distributions'
 * own 50unattended-upgrades already limits it to the security pockets. */
export const AUTO_UPGRADES_PATH = '/etc/apt/apt.conf.d/20auto-upgrades';

/**
 * Render `20auto-upgrades`.
 *
 * @example
 * renderAutoUpgrades().includes('APT::Periodic::Unattended-Upgrade "1";') // → true
 */
export function renderAutoUpgrades(): string {
  return [
    '// Managed by Hangar: install security updates every day.',
    'APT::Periodic::Update-Package-Lists "1";',
    'APT::Periodic::Unattended-Upgrade "1";',
    'APT::Periodic::AutocleanInterval "7";',
    'Unattended-Upgrade::Automatic-Reboot "false";',
    '',
  ].join('\n');
}

export const DOCKER_DAEMON_PATH = '/etc/docker/daemon.json';

/**
 * Docker's daemon.json: rotated container logs (a long-running agent server must not fill its
 * disk) and live-restore, so a Docker upgrade does not stop the workload.
 *
 * @example
 * JSON.parse(renderDockerDaemonJson())['live-restore'] // → true
 */
export function renderDockerDaemonJson(): string {
  return `${JSON.stringify({ 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', 'max-file': '3' }, 'live-restore': true }, null, 2)}\n`;
}

export const NODESOURCE_PIN_PATH = '/etc/apt/preferences.d/hangar-nodejs';
/** Node.js major the servers run (OpenClaw needs ≥ 24.16). */
export const NODE_MAJOR = 24;

/**
 * apt pin so `nodejs` comes from NodeSource's node_24.x repository, never the distribution's
 * older package.
 *
 * @example
 * renderNodesourcePin().includes('Pin: origin deb.nodesource.com') // → true
 */
export function renderNodesourcePin(): string {
  return ['Package: nodejs', 'Pin: origin deb.nodesource.com', 'Pin-Priority: 600', ''].join('\n');
}
