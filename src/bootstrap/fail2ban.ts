/**
 * fail2ban's sshd jail. It reads the journal (`backend = systemd`), because current Ubuntu and
 * Debian images have no /var/log/auth.log unless rsyslog is installed; that backend needs the
 * `python3-systemd` package, which the install script installs with fail2ban.
 */

/** Where the jail is written: a `.local` in jail.d overrides the distribution's defaults. */
export const FAIL2BAN_JAIL_PATH = '/etc/fail2ban/jail.d/hangar-sshd.local';

export interface Fail2banOptions {
  maxRetry?: number;
  findTime?: string;
  banTime?: string;
}

/**
 * Render the jail.local-format file enabling the sshd jail.
 *
 * @example
 * renderFail2banJail().startsWith('# Managed by Hangar') // → true
 */
export function renderFail2banJail(opts: Fail2banOptions = {}): string {
  return [
    '# Managed by Hangar: ban hosts that keep failing SSH authentication.',
    '[sshd]',
    'enabled = true',
    'backend = systemd',
    'port = ssh',
    'mode = aggressive',
    `maxretry = ${opts.maxRetry ?? 5}`,
    `findtime = ${opts.findTime ?? '10m'}`,
    `bantime = ${opts.banTime ?? '1h'}`,
    'bantime.increment = true',
    '',
  ].join('\n');
}
