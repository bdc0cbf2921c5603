/**
 * The shell the `ssh` provider runs on a host: the bootstrap (verify the uploaded bundle, write
 * bootstrap.json, stop a previous agent, start the agent detached) and the teardown (stop the
 * agent and its workload, remove the unit and, unless `keepFiles`, the install directory). Both
 * refuse to render for an install directory outside `/opt/hangar` / `/opt/hangar-<name>`, and
 * the teardown checks it again in the shell before `rm -rf`.
 *
 * @example
 * const script = renderSshTeardown({ root: '/opt/hangar', keepFiles: false, stopTimeoutSeconds: 10 });
 * // fed to `sh -s` on the host's stdin
 */
import { assertRemoteRoot } from './remote-root.ts';

/** The agent's systemd unit (the same name the cloud install script uses). */
export const SSH_AGENT_UNIT = 'hangar-agent.service';

/**
 * Run the script on stdin with `sh -s`: as root directly, else through passwordless sudo when
 * there is one, else as the login user. Wrapped in `sh -c` so the login shell does not matter.
 */
export const ELEVATED_SH = `sh -c 'if [ "$(id -u)" = 0 ]; then exec sh -s; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then exec sudo -n sh -s; else exec sh -s; fi'`;

/**
 * POSIX-sh single-quote one word.
 *
 * @example
 * q("it's") // → "'it'\\''s'"
 */
export function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

interface ScriptCommon {
  root: string;
  /** Seconds to wait after SIGTERM before SIGKILL. */
  stopTimeoutSeconds: number;
}

/** Shell shared by bootstrap and teardown: paths, logging, and stopping Hangar's agent. Refuses a root outside /opt/hangar*. */
function scriptPrelude(o: ScriptCommon): string {
  assertRemoteRoot(o.root);
  return String.raw`# shellcheck disable=SC2034 # not every script uses every path
set -u
ROOT=${q(o.root)}
BUNDLE="$ROOT/agent/agent.mjs"
CONFIG="$ROOT/config/bootstrap.json"
STATE_DIR="$ROOT/config"
LOG="$ROOT/logs/install.log"
PIDFILE="$ROOT/run/agent.pid"
OUT="$ROOT/logs/agent.out"
UNIT=/etc/systemd/system/${SSH_AGENT_UNIT}
STOP_TIMEOUT=${Math.max(1, Math.round(o.stopTimeoutSeconds))}

log() {
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) hangar-ssh: $*"
  printf '%s\n' "$line"
  if [ -d "$ROOT/logs" ]; then printf '%s\n' "$line" >>"$LOG" 2>/dev/null || true; fi
}
die() { log "ERROR: $*"; exit 1; }

# is_agent PID: is PID this installation's agent: its supervisor (node $BUNDLE --config $CONFIG …) or
# an agent the supervisor runs from any release (node … --run --config $CONFIG …), maybe orphaned?
is_agent() {
  tr '\000' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "--config $CONFIG "
}
# pgid PID: its process group.
pgid() {
  sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f3
}
# alive PID: running and not a zombie.
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  case "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" in Z|X|'') return 1 ;; *) return 0 ;; esac
}
has_systemd() {
  [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && command -v systemctl >/dev/null 2>&1
}
our_unit() {
  [ -f "$UNIT" ] && grep -qF -- "$BUNDLE" "$UNIT"
}

# stop_agent: SIGTERM the agent's process group (it stops its workload and exits), then SIGKILL.
stop_agent() {
  if has_systemd && our_unit; then
    systemctl stop ${SSH_AGENT_UNIT} >/dev/null 2>&1 && log "stopped ${SSH_AGENT_UNIT}"
  fi
  pids=""
  if [ -s "$PIDFILE" ]; then
    p="$(cat "$PIDFILE")"
    if alive "$p" && is_agent "$p"; then pids="$p"; fi
  fi
  # One grep over every command line, then an exact check of each candidate (paths have no spaces).
  # shellcheck disable=SC2013
  for f in $(grep -lsaF -- "$CONFIG" /proc/[0-9]*/cmdline 2>/dev/null); do
    p="${'$'}{f#/proc/}"
    p="${'$'}{p%/cmdline}"
    [ "$p" = "$$" ] && continue
    case " $pids " in *" $p "*) continue ;; esac
    if alive "$p" && is_agent "$p"; then pids="$pids $p"; fi
  done
  pids="${'$'}{pids# }"
  if [ -z "$pids" ]; then rm -f "$PIDFILE"; return 0; fi
  log "stopping the agent (pid $pids) and its workload"
  # A group leader (the detached supervisor) gets its whole group; any other agent is signalled
  # alone unless its group's leader is one of ours (then it already got the group's signal).
  for p in $pids; do
    g="$(pgid "$p")"
    if [ "$g" = "$p" ]; then kill -s TERM -- "-$p" 2>/dev/null || kill -s TERM "$p" 2>/dev/null || true
    else case " $pids " in *" $g "*) ;; *) kill -s TERM "$p" 2>/dev/null || true ;; esac
    fi
  done
  i=0
  while [ "$i" -lt $((STOP_TIMEOUT * 5)) ]; do
    left=""
    for p in $pids; do if alive "$p"; then left="$left $p"; fi; done
    [ -z "$left" ] && break
    sleep 0.2
    i=$((i + 1))
  done
  for p in $pids; do
    if alive "$p"; then log "agent $p did not stop in $STOP_TIMEOUT s: killing it"; fi
    kill -s KILL -- "-$p" 2>/dev/null || true
    kill -s KILL "$p" 2>/dev/null || true
  done
  rm -f "$PIDFILE"
}
`;
}

/** Inputs of {@link renderSshBootstrap}. */
export interface SshBootstrapInput extends ScriptCommon {
  /** The node binary (name on PATH or absolute path). */
  node: string;
  /** `systemd`: install and restart a unit; `nohup`: `setsid nohup`, pid in `$ROOT/run/agent.pid`. */
  start: 'systemd' | 'nohup';
  instanceId: string;
  serverName: string;
  /** sha256 of the uploaded agent bundle, verified before starting. */
  bundleSha: string;
  /** Run `$ROOT/bootstrap/install.sh` (uploaded from user-data) before starting the agent. */
  installScript: boolean;
  /** The bootstrap config, written to `$ROOT/config/bootstrap.json` (0600). The script must then be fed on stdin (`sh -s`), never in argv. */
  bootstrapJson: string;
}

/**
 * The bootstrap the SSH provider runs after uploading the bundle and bootstrap.json: verify the
 * upload, stop a previous agent (idempotent re-runs), drop another instance's agent state, run
 * the install script when asked, start the agent detached and check it stays up. Prints
 * `HANGAR_AGENT_PID=<pid>` last. Throws ValidationError for a root outside /opt/hangar*.
 *
 * @example
 * const script = renderSshBootstrap({ root: '/opt/hangar', node: 'node', start: 'systemd', instanceId, serverName, bundleSha, installScript: false, stopTimeoutSeconds: 10, bootstrapJson });
 * // fed to `sh -s` on stdin (it carries the one-time token: never in argv)
 */
export function renderSshBootstrap(o: SshBootstrapInput): string {
  const unit = [
    '[Unit]',
    'Description=Hangar agent (installed over SSH)',
    'Wants=network-online.target',
    'After=network-online.target docker.service tailscaled.service',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    'ExecStart=@NODE@ @BUNDLE@ --config @CONFIG@ --state-dir @STATE@',
    'Environment=HANGAR_BOOTSTRAP_LOG=@LOG@',
    'WorkingDirectory=@ROOT@/agent',
    'Restart=always',
    'RestartSec=5',
    'UMask=0077',
    'KillMode=control-group',
    'SyslogIdentifier=hangar-agent',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  return `${scriptPrelude(o)}
INSTANCE=${q(o.instanceId)}
SERVER_NAME=${q(o.serverName)}
BUNDLE_SHA=${q(o.bundleSha)}
START=${q(o.start)}
NODE_WANT=${q(o.node)}

umask 022
mkdir -p "$ROOT/agent" "$ROOT/config" "$ROOT/logs" "$ROOT/run" "$ROOT/bootstrap" || die "cannot create $ROOT"
chmod 0755 "$ROOT" "$ROOT/agent"
chmod 0700 "$ROOT/config" "$ROOT/run" "$ROOT/bootstrap"
chmod 0750 "$ROOT/logs"
log "bootstrap over SSH for $SERVER_NAME (instance $INSTANCE) on $(uname -n) as $(id -un), into $ROOT"

got="$(sha256sum "$BUNDLE" 2>/dev/null | cut -d' ' -f1)"
[ "$got" = "$BUNDLE_SHA" ] || die "agent bundle checksum mismatch ($got, expected $BUNDLE_SHA): upload incomplete"
chmod 0644 "$BUNDLE"
(
  umask 077
  cat >"$CONFIG.tmp" <<'HANGAR_BOOTSTRAP_JSON'
${o.bootstrapJson.replace(/\n/g, '')}
HANGAR_BOOTSTRAP_JSON
) || die "cannot write $CONFIG"
chmod 0600 "$CONFIG.tmp"
mv -f "$CONFIG.tmp" "$CONFIG"
log "wrote the bootstrap config (0600)"

stop_agent

if [ -f "$STATE_DIR/state.json" ] && ! grep -qF "\\"instanceId\\":\\"$INSTANCE\\"" "$STATE_DIR/state.json"; then
  log "removing the agent state of a previous instance"
  rm -f "$STATE_DIR/state.json" "$STATE_DIR/agent.env"
fi
${
  o.installScript
    ? `
if [ -f "$ROOT/bootstrap/install.sh" ]; then
  log "running the install script"
  status=0
  bash "$ROOT/bootstrap/install.sh" </dev/null 2>&1 || status=$?
  [ "$status" = 0 ] || die "install script failed with status $status"
  if has_systemd && systemctl is-active --quiet ${SSH_AGENT_UNIT} && [ "$START" = systemd ]; then
    pid="$(systemctl show -p MainPID --value ${SSH_AGENT_UNIT} 2>/dev/null || echo 0)"
    log "agent started by the install script (pid $pid)"
    echo "HANGAR_AGENT_PID=$pid"
    exit 0
  fi
fi
`
    : ''
}
NODE="$(command -v "$NODE_WANT" 2>/dev/null || true)"
[ -n "$NODE" ] || die "node ($NODE_WANT) not found on this host: install Node.js 20 or newer"

if [ "$START" = systemd ]; then
  has_systemd || die "systemd is not PID 1 on this host"
  tmp="$(mktemp)"
  cat >"$tmp" <<'HANGAR_UNIT'
${unit}HANGAR_UNIT
  sed -e "s|@NODE@|$NODE|" -e "s|@BUNDLE@|$BUNDLE|" -e "s|@CONFIG@|$CONFIG|" -e "s|@STATE@|$STATE_DIR|" -e "s|@LOG@|$LOG|" -e "s|@ROOT@|$ROOT|" "$tmp" >"$UNIT.tmp"
  rm -f "$tmp"
  chmod 0644 "$UNIT.tmp"
  mv -f "$UNIT.tmp" "$UNIT"
  systemctl daemon-reload
  systemctl enable ${SSH_AGENT_UNIT} >/dev/null 2>&1 || true
  systemctl restart ${SSH_AGENT_UNIT} || die "systemctl restart ${SSH_AGENT_UNIT} failed"
  sleep 0.5
  systemctl is-active --quiet ${SSH_AGENT_UNIT} || die "the agent unit is not active: $(systemctl status --no-pager -n 20 ${SSH_AGENT_UNIT} 2>&1 | tail -n 20)"
  pid="$(systemctl show -p MainPID --value ${SSH_AGENT_UNIT} 2>/dev/null || echo 0)"
else
  rm -f "$PIDFILE"
  if command -v setsid >/dev/null 2>&1; then DETACH=setsid; else DETACH=""; fi
  cd "$ROOT/agent" || die "cannot enter $ROOT/agent"
  (
    umask 077
    # shellcheck disable=SC2016,SC2086 # $$ and "$@" are the inner sh's; $DETACH is empty or setsid
    HANGAR_BOOTSTRAP_LOG="$LOG" $DETACH nohup sh -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" "$NODE" "$BUNDLE" --config "$CONFIG" --state-dir "$STATE_DIR" </dev/null >>"$OUT" 2>&1 &
  )
  i=0
  while [ ! -s "$PIDFILE" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  [ -s "$PIDFILE" ] || die "the agent did not start"
  pid="$(cat "$PIDFILE")"
  sleep 0.5
  alive "$pid" || die "the agent exited at once: $(tail -n 20 "$OUT" 2>/dev/null)"
fi
log "agent started (pid $pid)"
echo "HANGAR_AGENT_PID=$pid"
`;
}

/** Inputs of {@link renderSshTeardown}. */
export interface SshTeardownInput extends ScriptCommon {
  keepFiles: boolean;
}

/**
 * Stop the agent and its workload, remove the unit, and (unless `keepFiles`) the remote root.
 * Throws ValidationError for a root outside `/opt/hangar` / `/opt/hangar-<name>`; the script
 * checks the root's shape again before it removes anything.
 *
 * @example
 * renderSshTeardown({ root: '/opt/hangar', keepFiles: false, stopTimeoutSeconds: 10 }).includes('rm -rf -- "$ROOT"') // → true
 */
export function renderSshTeardown(o: SshTeardownInput): string {
  return `${scriptPrelude(o)}
stop_agent
if has_systemd && our_unit; then
  systemctl disable ${SSH_AGENT_UNIT} >/dev/null 2>&1 || true
  rm -f "$UNIT"
  systemctl daemon-reload
  log "removed ${SSH_AGENT_UNIT}"
fi
${
  o.keepFiles
    ? 'rm -f "$STATE_DIR/state.json" "$CONFIG"\nlog "kept $ROOT (keepFiles); removed the agent identity"'
    : `case "$ROOT" in
  /opt/hangar | /opt/hangar-[A-Za-z0-9]*) ;;
  *) die "refusing to remove $ROOT: Hangar removes only /opt/hangar or /opt/hangar-<name>" ;;
esac
case "$ROOT" in */*/*/* | *..*) die "refusing to remove $ROOT: Hangar removes only /opt/hangar or /opt/hangar-<name>" ;; esac
# A symlink is removed itself (rm does not follow it), never what it points to.
if [ -d "$ROOT" ] || [ -L "$ROOT" ]; then rm -rf -- "$ROOT" && echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) hangar-ssh: removed $ROOT"; fi`
}
`;
}
