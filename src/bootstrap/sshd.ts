/**
 * The sshd hardening drop-in. OpenSSH keeps the FIRST value it reads for most keywords and
 * Ubuntu/Debian include `/etc/ssh/sshd_config.d/*.conf` at the top of `sshd_config` in lexical
 * order, so the file is named `10-…` to sort before cloud images' own `50-cloud-init.conf`
 * (which may say `PasswordAuthentication yes`).
 */

/** Where the drop-in is written on the server. */
export const SSHD_DROPIN_PATH = '/etc/ssh/sshd_config.d/10-hangar.conf';

export interface SshdOptions {
  /** `prohibit-password` (default: root may log in with a key, as Hetzner and DO images need) or `no`. */
  permitRootLogin?: 'prohibit-password' | 'no';
}

/**
 * Render the sshd_config.d drop-in: keys only, no passwords or keyboard-interactive prompts.
 *
 * @example
 * renderSshdDropIn().includes('PasswordAuthentication no') // → true
 */
export function renderSshdDropIn(opts: SshdOptions = {}): string {
  return [
    '# Managed by Hangar: SSH hardening. Sorted before 50-cloud-init.conf, so these values win.',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitEmptyPasswords no',
    `PermitRootLogin ${opts.permitRootLogin ?? 'prohibit-password'}`,
    'PubkeyAuthentication yes',
    'X11Forwarding no',
    'MaxAuthTries 3',
    'LoginGraceTime 30',
    'ClientAliveInterval 300',
    'ClientAliveCountMax 2',
    '',
  ].join('\n');
}
