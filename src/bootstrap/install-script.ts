/**
 * The bash install script, the single recipe for a server ({@link renderInstallScript}): the
 * template and its shell helpers. What it writes is install-files.ts, what it is rendered from
 * (and the checks on it) install-input.ts.
 *
 * @example
 * renderInstallScript(input).startsWith('#!/bin/bash') // → true
 */
import { CLOSE_PUBLIC_SSH_PATH, PUBLIC_SSH_CLOSED_MARKER, firewallRules, ufwLines } from './firewall.ts';
import { FAIL2BAN_JAIL_PATH } from './fail2ban.ts';
import { DOCKER_DAEMON_PATH, NODE_MAJOR } from './host-files.ts';
import { renderAgentFiles, renderHostFiles } from './install-files.ts';
import { closesPublicSsh, hasIdentity, validateInstallInput } from './install-input.ts';
import { heredoc, shq } from './shell.ts';
import { SSHD_DROPIN_PATH } from './sshd.ts';
import { AGENT_BOOTSTRAP_LOG, AGENT_BUNDLE_PATH, AGENT_UNIT_NAME } from './systemd.ts';
import { BOOTSTRAP_PATH, HANGAR_ROOT, type BootstrapFile, type InstallScriptInput } from './types.ts';

/** Where cloud-init writes the install script (and the SSH provider uploads it). */
export const INSTALL_SCRIPT_PATH = `${HANGAR_ROOT}/bootstrap/install.sh`;
/** Written once, on the first run that has an instance identity (RFC 3339, UTC). */
const PROVISIONED_AT_PATH = `${HANGAR_ROOT}/config/provisioned_at`;
/** The install script's log; the agent forwards its tail as bootstrap events. */
const INSTALL_LOG_PATH = AGENT_BOOTSTRAP_LOG;

/** System users (nologin) created on every server: the workloads' own, and `hangar` for `process` workloads. */
const SYSTEM_USERS: readonly { name: string; home: string }[] = [
  { name: 'hangar', home: '/var/lib/hangar' },
  { name: 'openclaw', home: '/var/lib/openclaw' },
  { name: 'agent-manager', home: '/var/lib/agent-manager' },
  { name: 'runner', home: '/var/lib/runner' },
];

/** apt packages of the full path (Docker's only when the host has no Docker with compose yet). */
// git: runner-stack's repository mode clones and updates its repository on the server.
const BASE_PACKAGES = ['nodejs', 'tailscale', 'fail2ban', 'python3-systemd', 'ufw', 'unattended-upgrades', 'chrony', 'git'];
const DOCKER_PACKAGES = ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-buildx-plugin', 'docker-compose-plugin'];

function putFiles(files: BootstrapFile[], tag: string): string {
  return files
    .map((f, i) => `${f.onlyIfMissing ? 'put_new_file' : 'put_file'} ${shq(f.path)} ${f.mode} ${f.owner} ${heredoc(f.content, `HANGAR_${tag}_${i + 1}`)}`)
    .join('\n');
}

const HELPERS = String.raw`log() { printf '%s hangar-install: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# put_file PATH MODE OWNER <content: rewrite PATH only when its content changed (idempotent).
put_file() {
  local dest="$ROOTFS$1" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  mkdir -p "$(dirname "$dest")"
  if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest"; then
    rm -f "$tmp"
  else
    chmod "$2" "$tmp"
    mv -f "$tmp" "$dest"
    CHANGED+=("$1")
  fi
  chmod "$2" "$dest"
  if [[ -z "$ROOTFS" ]]; then chown "$3" "$dest"; fi
}

# put_new_file PATH MODE OWNER <content: write PATH only when it does not exist yet.
put_new_file() {
  if [[ -e "$ROOTFS$1" ]]; then
    cat >/dev/null
  else
    put_file "$@"
  fi
}

# changed PATH: did this run rewrite PATH?
changed() {
  local p
  for p in "${"$"}{CHANGED[@]}"; do
    if [[ "$p" == "$1" ]]; then return 0; fi
  done
  return 1
}`;

/**
 * Render the bash install script. It is the single recipe for a server: cloud-init writes it to
 * {@link INSTALL_SCRIPT_PATH} and runs it, the SSH provider uploads and runs it as-is, and the
 * snapshot builder runs its full path with no instance identity.
 *
 * - full path: Docker CE + compose plugin (Docker's apt repo), Node.js 24 (NodeSource), Tailscale
 *   (pkgs.tailscale.com), fail2ban, ufw, unattended security upgrades and chrony; system users;
 *   `/opt/hangar/{agent,config,logs}`; sshd/fail2ban/ufw hardening; the agent bundle and unit.
 * - snapshot path: clock sync, agent config, (re)fetch the agent bundle, start the agent.
 *
 * Both paths download the agent bundle from `$API_URL/v1/agent/bundle` and install it only when
 * its sha256 is `input.agentBundleSha256` (else the script exits non-zero, saying so). Throws
 * ValidationError naming `agentBundleSha256` when the pin is missing, and `publicUrl` when the API
 * URL is plain http to anything but a loopback or tailnet address.
 *
 * Re-running it on the same host is safe: files are rewritten only when their content changed,
 * users and keys are created only when missing, ufw skips rules it has, and a public SSH port
 * closed by the agent stays closed. `install.sh --files-only DIR` writes only the embedded files
 * under DIR (used by tests and for inspection) and touches nothing else. It never sees the
 * bootstrap token: the agent reads that from {@link BOOTSTRAP_PATH}.
 *
 * @example
 * const script = renderInstallScript({ provider: 'hetzner', path: 'full', workload: 'openclaw',
 *   bootstrapVersion: BOOTSTRAP_VERSION, bootstrap: { apiUrl: 'https://hangar.example.com' }, agentBundleSha256: sha });
 * script.startsWith('#!/bin/bash') // → true
 */
export function renderInstallScript(input: InstallScriptInput): string {
  validateInstallInput(input, true);
  const identity = hasIdentity(input);
  const closeSsh = closesPublicSsh(input);
  const full = input.path === 'full';
  const agentFiles = renderAgentFiles(input);
  const hostFiles = renderHostFiles();
  const users = SYSTEM_USERS.map((u) => `ensure_user ${u.name} ${u.home}`).join('\n  ');
  const header = [
    '#!/bin/bash',
    '# Hangar install script, rendered by src/bootstrap/install-script.ts (edits on the server are overwritten).',
    `# bootstrap-version: ${input.bootstrapVersion}; path: ${input.path}; provider: ${input.provider}; workload: ${input.workload}${identity ? `; server: ${input.bootstrap.serverName}` : '; no instance identity (image build)'}`,
    '#',
    '# Usage: install.sh                    install or repair (as root); safe to run again',
    '#        install.sh --files-only DIR   only write the embedded files under DIR, then exit',
    '#        install.sh --fetch-agent DIR  only download and verify the agent bundle into DIR/opt/hangar/agent, then exit',
  ].join('\n');

  const [minMajor, minMinor] = nodeNeeded(input.workload);
  const fullSteps = String.raw`
detect_os() {
  # shellcheck source=/dev/null
  OS_ID="$(. /etc/os-release && echo "$ID")"
  # shellcheck source=/dev/null
  OS_CODENAME="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  case "$OS_ID" in
    ubuntu | debian) ;;
    *) die "unsupported OS '$OS_ID': Hangar installs on Ubuntu or Debian" ;;
  esac
  [[ -n "$OS_CODENAME" ]] || die "cannot tell the $OS_ID release codename"
  ARCH="$(dpkg --print-architecture)"
}

apt_get() {
  apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

# fetch_key URL FILE: download an apt signing key once.
fetch_key() {
  if [[ ! -s "$2" ]]; then
    curl -fsSL --retry 5 --retry-delay 2 --connect-timeout 15 -o "$2.tmp" "$1"
    mv -f "$2.tmp" "$2"
  fi
  chmod 0644 "$2"
}

install_packages() {
  log "installing packages"
  if ! command -v curl >/dev/null 2>&1; then
    apt_get update
    apt_get install --no-install-recommends ca-certificates curl
  fi
  install -d -m 0755 /etc/apt/keyrings
  fetch_key "https://download.docker.com/linux/$OS_ID/gpg" /etc/apt/keyrings/docker.asc
  fetch_key https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key /etc/apt/keyrings/nodesource.asc
  fetch_key "https://pkgs.tailscale.com/stable/$OS_ID/$OS_CODENAME.noarmor.gpg" /etc/apt/keyrings/tailscale.gpg
  printf 'deb [arch=%s signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/%s %s stable\n' "$ARCH" "$OS_ID" "$OS_CODENAME" |
    put_file /etc/apt/sources.list.d/docker.list 0644 root:root
  printf 'deb [arch=%s signed-by=/etc/apt/keyrings/nodesource.asc] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main\n' "$ARCH" |
    put_file /etc/apt/sources.list.d/nodesource.list 0644 root:root
  printf 'deb [signed-by=/etc/apt/keyrings/tailscale.gpg] https://pkgs.tailscale.com/stable/%s %s main\n' "$OS_ID" "$OS_CODENAME" |
    put_file /etc/apt/sources.list.d/tailscale.list 0644 root:root
  local pkgs=(${BASE_PACKAGES.join(' ')})
  if ! { command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }; then
    pkgs+=(${DOCKER_PACKAGES.join(' ')})
  fi
  apt_get update
  apt_get install --no-install-recommends "${"$"}{pkgs[@]}"
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > ${minMajor} || (a === ${minMajor} && b >= ${minMinor}) ? 0 : 1)'; then
    log "warning: node $(node --version) is older than ${minMajor}.${minMinor}, which the ${input.workload} workload needs"
  fi
}

enable_services() {
  systemctl enable --now docker.service tailscaled.service chrony.service unattended-upgrades.service >/dev/null 2>&1 ||
    die "could not enable docker, tailscaled, chrony and unattended-upgrades"
  if changed ${DOCKER_DAEMON_PATH} && [[ "$FIRST_DOCKER" == no ]]; then
    systemctl restart docker.service
  fi
}

configure_ufw() {
  log "configuring ufw"
  install -d -m 0755 /run/sshd
${ufwLines(firewallRules(), '  ')}
  if [[ "$KEEP_PUBLIC_SSH" == yes || ! -e ${PUBLIC_SSH_CLOSED_MARKER} ]]; then
${ufwLines([firewallRules({ publicSsh: true }).at(-1)!], '    ')}
    # Keep any other port sshd listens on reachable too (SSH provider hosts).
    local port
    for port in $(/usr/sbin/sshd -T 2>/dev/null | awk '$1 == "port" { print $2 }'); do
      if [[ "$port" != 22 ]]; then ufw allow "$port/tcp" comment 'hangar: public ssh' >/dev/null; fi
    done
  fi
  ufw --force enable >/dev/null
}

configure_sshd() {
  log "hardening sshd"
  install -d -m 0755 /run/sshd
  if ! grep -Eqs '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' /etc/ssh/sshd_config; then
    sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
    CHANGED+=(/etc/ssh/sshd_config)
  fi
  if ! /usr/sbin/sshd -t; then
    rm -f ${SSHD_DROPIN_PATH}
    die "sshd rejected ${SSHD_DROPIN_PATH}; removed it"
  fi
  if changed ${SSHD_DROPIN_PATH} || changed /etc/ssh/sshd_config; then
    systemctl try-reload-or-restart ssh.service 2>/dev/null || systemctl try-reload-or-restart sshd.service 2>/dev/null || true
  fi
}

configure_fail2ban() {
  log "configuring fail2ban"
  fail2ban-client -t >/dev/null || die "fail2ban rejected its configuration"
  systemctl enable --now fail2ban.service >/dev/null 2>&1
  if changed ${FAIL2BAN_JAIL_PATH}; then systemctl restart fail2ban.service; fi
}
`;

  const snapshotChecks = String.raw`
# check_image: does this image hold what the workload needs (tools, and a Node.js new enough)?
check_image() {
  local tool
  for tool in node docker tailscale ufw fail2ban-client; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      log "this image has no $tool"
      return 1
    fi
  done
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > ${minMajor} || (a === ${minMajor} && b >= ${minMinor}) ? 0 : 1)'; then
    log "this image's node $(node --version) is older than ${minMajor}.${minMinor}, which the ${input.workload} workload needs"
    return 1
  fi
}
`;
  const fullPath = ['detect_os', 'if command -v docker >/dev/null 2>&1; then FIRST_DOCKER=no; else FIRST_DOCKER=yes; fi', 'write_host_files', 'write_agent_files',
    // apt refuses repositories whose Release file is "not valid yet" on a clock that lags.
    'sync_clock', 'install_packages', 'sync_clock', 'enable_services', 'configure_ufw', 'configure_sshd', 'configure_fail2ban'];

  const main = [
    '[[ "$(id -u)" -eq 0 ]] || die "run me as root"',
    'export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a NEEDRESTART_SUSPEND=1',
    'make_dirs',
    `exec > >(tee -a ${INSTALL_LOG_PATH}) 2>&1`,
    `log "bootstrap $BOOTSTRAP_VERSION, ${input.path} path, started"`,
    ...(full
      ? fullPath
      : [
          // A snapshot that lacks what this workload needs (an older Node.js, a missing tool) is
          // not fatal: the full path runs instead, and says why in the log the agent forwards.
          'if check_image; then',
          '  sync_clock',
          '  write_agent_files',
          'else',
          '  log "the snapshot does not fit this workload: falling back to the full path"',
          ...fullPath.map((step) => `  ${step}`),
          'fi',
        ]),
    ...(closeSsh ? [] : [`rm -f ${CLOSE_PUBLIC_SSH_PATH}`]),
    'fetch_agent',
    identity ? 'start_agent' : 'systemctl daemon-reload',
    `log "bootstrap $BOOTSTRAP_VERSION, ${input.path} path, done"`,
  ].join('\n');

  return `${header}
set -euo pipefail
umask 022

BOOTSTRAP_VERSION=${shq(input.bootstrapVersion)}
API_URL=${shq(input.bootstrap.apiUrl)}
# sha256 of the agent bundle the control plane serves: anything else is not installed.
AGENT_SHA256=${shq(input.agentBundleSha256!)}
KEEP_PUBLIC_SSH=${closeSsh ? 'no' : 'yes'}
ROOTFS=''
CHANGED=()

${HELPERS}

write_host_files() {
${putFiles(hostFiles, 'HOST_FILE')}
}

write_agent_files() {
${putFiles(agentFiles, 'AGENT_FILE')}
}

if [[ "${'$'}{1:-}" == --files-only ]]; then
  ROOTFS="${'$'}{2:?usage: install.sh --files-only DIR}"
  ROOTFS="${'$'}{ROOTFS%/}"
  write_host_files
  write_agent_files
  if ((${'$'}{#CHANGED[@]})); then printf 'wrote %s\\n' "${'$'}{CHANGED[@]}"; fi
  exit 0
fi

ensure_user() {
  if ! id -u "$1" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$2" --create-home --shell /usr/sbin/nologin "$1"
  fi
}

make_dirs() {
  ${users}
  install -d -m 0755 -o root -g root ${HANGAR_ROOT} ${HANGAR_ROOT}/agent
  install -d -m 0700 -o root -g root ${HANGAR_ROOT}/config ${HANGAR_ROOT}/bootstrap
  install -d -m 0750 -o root -g hangar ${HANGAR_ROOT}/logs
  if [[ -f ${BOOTSTRAP_PATH} ]]; then
    chown root:root ${BOOTSTRAP_PATH}
    chmod 0600 ${BOOTSTRAP_PATH}
  fi
}

sync_clock() {
  log "synchronising the clock"
  if command -v chronyc >/dev/null 2>&1; then
    systemctl enable --now chrony.service >/dev/null 2>&1 || true
    chronyc -a makestep >/dev/null 2>&1 || true
    chronyc waitsync 6 1 >/dev/null 2>&1 || log "warning: chrony has not synchronised yet"
  else
    timedatectl set-ntp true || log "warning: could not enable NTP"
  fi
}
${fullSteps}${full ? '' : snapshotChecks}
# fetch_agent: download the agent bundle and install it only when its sha256 is AGENT_SHA256
# (a mismatch is retried twice: behind a load balancer, a replica of another version may answer).
fetch_agent() {
  log "fetching the agent bundle (sha256 $AGENT_SHA256)"
  local tmp attempt got=''
  tmp="$(mktemp)"
  for attempt in 1 2 3; do
    if ! curl -fsSL --retry 20 --retry-delay 3 --retry-all-errors --connect-timeout 10 --max-time 300 -o "$tmp" "$API_URL/v1/agent/bundle"; then
      rm -f "$tmp"
      die "could not download $API_URL/v1/agent/bundle"
    fi
    if printf '%s  %s\n' "$AGENT_SHA256" "$tmp" | sha256sum -c --status; then
      got="$AGENT_SHA256"
      break
    fi
    got="$(sha256sum "$tmp" | cut -d' ' -f1)"
    log "the agent bundle's sha256 is $got, expected $AGENT_SHA256 (attempt $attempt of 3)"
    if [[ "$attempt" -lt 3 ]]; then sleep 2; fi
  done
  if [[ "$got" != "$AGENT_SHA256" ]]; then
    rm -f "$tmp"
    die "refusing to install the agent bundle: its sha256 is $got, expected $AGENT_SHA256 (altered on the way, or served by another Hangar version)"
  fi
  put_file ${AGENT_BUNDLE_PATH} 0644 root:root <"$tmp"
  rm -f "$tmp"
  log "agent bundle verified and installed"
}

if [[ "${'$'}{1:-}" == --fetch-agent ]]; then
  ROOTFS="${'$'}{2:?usage: install.sh --fetch-agent DIR}"
  ROOTFS="${'$'}{ROOTFS%/}"
  fetch_agent
  exit 0
fi
${
  identity
    ? `
start_agent() {
  if [[ ! -s ${PROVISIONED_AT_PATH} ]]; then
    date -u +%Y-%m-%dT%H:%M:%SZ | put_file ${PROVISIONED_AT_PATH} 0600 root:root
  fi
  [[ -f ${BOOTSTRAP_PATH} ]] || log "warning: no ${BOOTSTRAP_PATH}; the agent can only resume from its saved state"
  systemctl daemon-reload
  systemctl enable ${AGENT_UNIT_NAME} >/dev/null 2>&1
  systemctl restart ${AGENT_UNIT_NAME}
  log "agent started"
}
`
    : ''
}
${main}
`;
}

/**
 * The oldest Node.js a workload runs on: OpenClaw needs 24.16; the agent itself (every other
 * workload) 20.19, its `engines` floor.
 *
 * @example
 * nodeNeeded('openclaw') // → [24, 16]
 */
export function nodeNeeded(workload: string): [number, number] {
  return workload === 'openclaw' ? [24, 16] : [20, 19];
}
