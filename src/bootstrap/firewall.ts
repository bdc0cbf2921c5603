import { CLOSE_PUBLIC_SSH_PATH } from '../domain/agent-contract.ts';
import { shq } from './shell.ts';

/**
 * UFW rules as argv lists (each run as `ufw <argv…>`), so the same data feeds the install script,
 * the close-public-SSH script and `ufw --dry-run` in tests.
 */

/** The rule that keeps public SSH open until the tailnet is up. */
const PUBLIC_SSH_RULE = ['allow', '22/tcp'] as const;
/** Tailscale's WireGuard port, so peers can reach the node directly instead of via DERP. */
const TAILSCALE_UDP_PORT = 41641;
/** Marker the close script leaves so that re-running the install script keeps SSH closed. */
export const PUBLIC_SSH_CLOSED_MARKER = '/opt/hangar/config/public-ssh-closed';
/** Where the install script puts the close script for the agent to run (the agent knows it too). */
export { CLOSE_PUBLIC_SSH_PATH };

export interface FirewallOptions {
  /** Leave port 22 open to the internet (default false). */
  publicSsh?: boolean;
}

/**
 * The rules that must be in place before `ufw --force enable`: deny all incoming, allow the
 * tailnet interface and Tailscale's UDP port, and (unless the tailnet is already the only way in)
 * public SSH. Every command is idempotent (`ufw` skips rules it already has).
 *
 * @example
 * firewallRules({ publicSsh: true }).map((a) => a.join(' '))
 * // → ['default deny incoming', 'default allow outgoing', 'allow in on tailscale0 comment …', …]
 */
export function firewallRules(opts: FirewallOptions = {}): string[][] {
  const rules = [
    ['default', 'deny', 'incoming'],
    ['default', 'allow', 'outgoing'],
    ['allow', 'in', 'on', 'tailscale0', 'comment', 'hangar: tailnet'],
    ['allow', `${TAILSCALE_UDP_PORT}/udp`, 'comment', 'hangar: tailscale wireguard'],
  ];
  if (opts.publicSsh) rules.push([...PUBLIC_SSH_RULE, 'comment', 'hangar: public ssh']);
  return rules;
}

/** The commands that close public SSH (the tailnet interface rule stays). */
export function closePublicSshRules(): string[][] {
  return [['delete', ...PUBLIC_SSH_RULE]];
}

/** Render argv lists as `ufw …` shell lines. */
export function ufwLines(rules: string[][], indent = ''): string {
  return rules.map((r) => `${indent}ufw ${r.map(shq).join(' ')} >/dev/null`).join('\n');
}

/**
 * The tiny script the agent runs once `tailscale up` has succeeded: it deletes the public SSH
 * rule and leaves a marker so a re-run of the install script does not reopen it. It refuses to
 * close anything while Tailscale has no address, so a failed join never locks the server out.
 *
 * @example
 * renderClosePublicSshScript().startsWith('#!/bin/bash') // → true
 */
export function renderClosePublicSshScript(): string {
  return `#!/bin/bash
# Managed by Hangar: close public SSH once the server is reachable over the tailnet.
set -euo pipefail
if ! tailscale ip -4 >/dev/null 2>&1; then
  echo "close-public-ssh: tailscale has no address yet; public SSH stays open" >&2
  exit 1
fi
${closePublicSshRules()
  .map((r) => `ufw ${r.map(shq).join(' ')} >/dev/null 2>&1 || true`)
  .join('\n')}
install -d -m 0700 ${shq(PUBLIC_SSH_CLOSED_MARKER.replace(/\/[^/]+$/, ''))}
touch ${shq(PUBLIC_SSH_CLOSED_MARKER)}
echo "close-public-ssh: port 22 is closed to the internet; use the tailnet"
`;
}
