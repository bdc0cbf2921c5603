import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { ValidationError } from '../domain/errors.ts';
import { PROVIDER_NAMES } from '../domain/providers.ts';
import { renderEnvFile } from './env-file.ts';
import { checkDownload } from './install-input.ts';
import { INSTALL_SCRIPT_PATH, renderInstallScript } from './install-script.ts';
import { BOOTSTRAP_PATH, HANGAR_ROOT, type BootstrapInput, type SnapshotBuilderInput } from './types.ts';
import { Checker, RE_ID, RE_TOKEN, RE_VERSION, isSafeUrl, validateBootstrapInput } from './validate.ts';

/** The bundle pin the recipe's version is computed with: the version does not depend on the agent's. */
export const VERSION_PIN = '0'.repeat(64);

/**
 * Version of the install recipe: a short hash of the full-path install script (rendered with no
 * instance identity), so any change to what a server gets yields a new version and snapshots
 * labelled with an older one stop being used.
 *
 * @example
 * BOOTSTRAP_VERSION // → 'v1-3f2a9c41d0b7'
 */
export const BOOTSTRAP_VERSION = (() => {
  const hash = createHash('sha256');
  for (const provider of ['hetzner', 'digital-ocean'] as const) {
    for (const path of ['full', 'snapshot'] as const) {
      hash.update(renderInstallScript({ provider, path, workload: 'process', bootstrapVersion: 'v0', bootstrap: { apiUrl: 'https://hangar.invalid' }, agentBundleSha256: VERSION_PIN }));
    }
  }
  return `v1-${hash.digest('hex').slice(0, 12)}`;
})();

interface WriteFile {
  path: string;
  owner: string;
  permissions: string;
  content: string;
  defer?: boolean;
}

/**
 * Serialise a cloud-config document. YAML 1.1 quoting, because cloud-init reads it with PyYAML
 * (1.1: unquoted `on`, `yes` or `12:30` would not be strings there); no line folding.
 */
function cloudConfig(comment: string, doc: Record<string, unknown>): string {
  return `#cloud-config\n# ${comment}\n${stringify(doc, { version: '1.1', lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })}`;
}

/**
 * Render the `#cloud-config` user-data of one instance: its bootstrap.json (mode 0600, the only
 * credential: the one-time token), the install script (0700) and a runcmd that runs it. Units and
 * hardening files are inside the install script, so the SSH provider, which has no cloud-init,
 * gets exactly the same server. The install script installs the agent bundle only when its
 * sha256 is `input.agentBundleSha256`. Throws ValidationError on bad input (`publicUrl` for a
 * plain-http API URL that is not loopback or tailnet, `agentBundleSha256` for a missing pin) or
 * when the result exceeds the provider's user-data limit.
 *
 * @example
 * const userData = renderUserData(input);
 * extractBootstrap(userData).token === input.bootstrap.token // → true
 */
export function renderUserData(input: BootstrapInput): string {
  validateBootstrapInput(input);
  const b = input.bootstrap;
  const config = { apiUrl: b.apiUrl, token: b.token, instanceId: b.instanceId, serverName: b.serverName };
  const files: WriteFile[] = [
    { path: BOOTSTRAP_PATH, owner: 'root:root', permissions: '0600', content: `${JSON.stringify(config)}\n` },
    { path: INSTALL_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: renderInstallScript(input) },
  ];
  const doc: Record<string, unknown> = { write_files: files, runcmd: [['bash', INSTALL_SCRIPT_PATH]] };
  if (input.sshAuthorizedKeys?.length) doc.ssh_authorized_keys = [...input.sshAuthorizedKeys];
  const userData = cloudConfig(`Hangar bootstrap ${input.bootstrapVersion} for ${b.serverName} (${input.provider}, ${input.path} path)`, doc);
  return userData;
}

/**
 * Replace every occurrence of the bootstrap token with `[REDACTED]`, for dry runs and logs.
 *
 * @example
 * redactUserData('token: hgb_abc', 'hgb_abc') // → 'token: [REDACTED]'
 */
export function redactUserData(userData: string, token: string): string {
  if (!token) return userData;
  return userData.split(token).join('[REDACTED]');
}

export const SNAPSHOT_BUILD_SCRIPT_PATH = `${HANGAR_ROOT}/bootstrap/snapshot-build.sh`;
export const SNAPSHOT_FINALIZE_SCRIPT_PATH = `${HANGAR_ROOT}/bootstrap/snapshot-finalize.sh`;
export const SNAPSHOT_BUILD_ENV_PATH = `${HANGAR_ROOT}/bootstrap/build.env`;

/**
 * The builder's first script: runs the full install with no identity and installs pending
 * security updates. On success it queues the finalize script as a transient unit ordered after
 * cloud-final.service (`--no-block`: waiting for it from inside runcmd would deadlock), so the
 * cleaning happens once cloud-init has stopped writing. On failure it reports `ok: false` and
 * leaves the server up for inspection.
 *
 * @example
 * renderSnapshotBuildScript().startsWith('#!/bin/bash') // → true
 */
function renderSnapshotBuildScript(): string {
  return `#!/bin/bash
# Managed by Hangar: build a snapshot image (full install, no instance identity).
set -euo pipefail
# shellcheck source=/dev/null
. ${SNAPSHOT_BUILD_ENV_PATH}

report() {
  curl -fsS --retry 10 --retry-delay 3 --retry-all-errors --connect-timeout 10 --max-time 60 \\
    -X POST -H "Authorization: Bearer $HANGAR_BUILD_TOKEN" -H 'Content-Type: application/json' \\
    --data "{\\"ok\\":$1,\\"bootstrapVersion\\":\\"$HANGAR_BOOTSTRAP_VERSION\\",\\"message\\":\\"$2\\"}" \\
    "$HANGAR_API_URL/v1/snapshot-builds/$HANGAR_BUILD_ID/ready" >/dev/null
}

status=0
bash ${INSTALL_SCRIPT_PATH} || status=$?
if [[ "$status" -ne 0 ]]; then
  report false "install.sh exited with status $status" || true
  exit "$status"
fi
unattended-upgrade || echo "snapshot-build: unattended-upgrade failed; continuing" >&2
systemd-run --no-block --unit=hangar-snapshot-finalize --property=After=cloud-final.service \\
  /bin/bash ${SNAPSHOT_FINALIZE_SCRIPT_PATH}
echo "snapshot-build: install done; finalize queued after cloud-final"
`;
}

/**
 * The builder's clean step (the cleanup script): waits for cloud-init, removes everything
 * instance-specific (`cloud-init clean --logs`, machine-id, SSH host keys, Tailscale state,
 * agent state in /opt/hangar/config, root's authorized_keys, shell history, logs emptied),
 * reports ready, forgets the build token and powers off.
 *
 * @example
 * renderSnapshotFinalizeScript().includes('cloud-init clean --logs') // → true
 */
export function renderSnapshotFinalizeScript(): string {
  return `#!/bin/bash
# Managed by Hangar: clean the builder for imaging, report ready, power off.
set -euo pipefail
# shellcheck source=/dev/null
. ${SNAPSHOT_BUILD_ENV_PATH}
cloud-init status --wait >/dev/null 2>&1 || true

systemctl stop hangar-agent.service tailscaled.service 2>/dev/null || true
find /var/lib/tailscale -mindepth 1 -delete 2>/dev/null || true
find ${HANGAR_ROOT}/config ${HANGAR_ROOT}/logs -mindepth 1 -delete
cloud-init clean --logs
truncate -s 0 /etc/machine-id
if [[ -e /var/lib/dbus/machine-id && ! -L /var/lib/dbus/machine-id ]]; then
  rm -f /var/lib/dbus/machine-id
  ln -s /etc/machine-id /var/lib/dbus/machine-id
fi
# Host keys and the random seed are per server: cloud-init makes new keys on the first boot.
rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub /var/lib/systemd/random-seed
if [[ -f /root/.ssh/authorized_keys ]]; then truncate -s 0 /root/.ssh/authorized_keys; fi
rm -f /root/.bash_history
apt-get clean
journalctl --rotate >/dev/null 2>&1 || true
journalctl --vacuum-time=1s >/dev/null 2>&1 || true
find /var/log -type f \\( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \\) -delete
find /var/log -type f -exec truncate -s 0 {} +

token="$HANGAR_BUILD_TOKEN"
url="$HANGAR_API_URL/v1/snapshot-builds/$HANGAR_BUILD_ID/ready"
body="{\\"ok\\":true,\\"bootstrapVersion\\":\\"$HANGAR_BOOTSTRAP_VERSION\\"}"
rm -rf ${HANGAR_ROOT}/bootstrap
curl -fsS --retry 10 --retry-delay 3 --retry-all-errors --connect-timeout 10 --max-time 60 \\
  -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data "$body" "$url" >/dev/null ||
  echo "snapshot-finalize: could not report ready; powering off anyway" >&2
sync
systemctl poweroff
`;
}

function validateBuilder(input: SnapshotBuilderInput): void {
  const c = new Checker();
  c.check((PROVIDER_NAMES as readonly string[]).includes(input?.provider), 'provider', `must be one of ${PROVIDER_NAMES.join(', ')}`);
  c.check(typeof input?.bootstrapVersion === 'string' && RE_VERSION.test(input.bootstrapVersion), 'bootstrapVersion', 'must be 1-63 letters, digits, dots, dashes or underscores');
  c.check(isSafeUrl(input?.apiUrl), 'apiUrl', 'must be an http(s) URL without quotes, spaces or backslashes');
  c.check(typeof input?.buildId === 'string' && RE_ID.test(input.buildId), 'buildId', 'must be letters, digits and dashes (a UUID)');
  c.check(typeof input?.buildToken === 'string' && RE_TOKEN.test(input.buildToken), 'buildToken', 'must be 8-512 URL-safe characters');
  checkDownload(c, input?.apiUrl, input?.agentBundleSha256);
  c.throwIfAny('snapshot builder input');
}

/**
 * User-data for a snapshot builder server: the full install with NO instance identity (no
 * bootstrap.json, the agent is installed but not started), then the clean step, a
 * `POST ${apiUrl}/v1/snapshot-builds/${buildId}/ready` with `Authorization: Bearer ${buildToken}`
 * and body `{"ok":true,"bootstrapVersion":…}` (`ok:false` plus `message` when the install
 * failed), and power-off. The build token lives in a 0600 env file that the clean step deletes
 * before imaging, and `cloud-init clean` removes cloud-init's own copy of this user-data.
 *
 * @example
 * renderSnapshotBuilderUserData({ provider: 'hetzner', bootstrapVersion: BOOTSTRAP_VERSION,
 *   apiUrl: 'https://hangar.example.com', buildId: id, buildToken: token, agentBundleSha256: sha }).startsWith('#cloud-config') // → true
 */
export function renderSnapshotBuilderUserData(input: SnapshotBuilderInput): string {
  validateBuilder(input);
  const env = renderEnvFile(
    [
      ['HANGAR_API_URL', input.apiUrl, 'apiUrl'],
      ['HANGAR_BUILD_ID', input.buildId, 'buildId'],
      ['HANGAR_BUILD_TOKEN', input.buildToken, 'buildToken'],
      ['HANGAR_BOOTSTRAP_VERSION', input.bootstrapVersion, 'bootstrapVersion'],
    ],
    'Managed by Hangar: snapshot build credentials (deleted before imaging).',
  );
  const install = renderInstallScript({
    provider: input.provider,
    path: 'full',
    workload: 'process',
    bootstrapVersion: input.bootstrapVersion,
    bootstrap: { apiUrl: input.apiUrl },
    agentBundleSha256: input.agentBundleSha256,
  });
  const files: WriteFile[] = [
    { path: SNAPSHOT_BUILD_ENV_PATH, owner: 'root:root', permissions: '0600', content: env },
    { path: INSTALL_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: install },
    { path: SNAPSHOT_BUILD_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: renderSnapshotBuildScript() },
    { path: SNAPSHOT_FINALIZE_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: renderSnapshotFinalizeScript() },
  ];
  const userData = cloudConfig(`Hangar snapshot build ${input.buildId} (bootstrap ${input.bootstrapVersion}, ${input.provider})`, {
    write_files: files,
    runcmd: [['bash', SNAPSHOT_BUILD_SCRIPT_PATH]],
  });
  return userData;
}
