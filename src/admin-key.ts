import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the first admin key is written when stdout is not a terminal. */
export const ADMIN_KEY_FILE = 'admin.key';

/**
 * What the first start says about the new admin key. On a terminal it shows the key (once);
 * otherwise (a service log, a pipe) the key goes to `<dataDir>/admin.key` (0600) and only that
 * path is printed, so no log ever holds the key.
 *
 * @example
 * adminKeyBanner('hgr_…', 'http://127.0.0.1:7070', '/srv/hangar', false)
 * // writes /srv/hangar/admin.key → 'Admin API key written to /srv/hangar/admin.key (0600) …'
 */
export function adminKeyBanner(key: string, url: string, dataDir: string, tty: boolean, provider = 'local'): string {
  if (tty) {
    return `\nAdmin API key (shown once, stored hashed):\n\n  ${key}\n\nUse it with the CLI:\n  export HANGAR_URL=${url} HANGAR_API_KEY=${key}\n  npx hangar create --provider ${provider} --wait\n\n`;
  }
  const path = join(dataDir, ADMIN_KEY_FILE);
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return `\nAdmin API key written to ${path} (0600; stored hashed, shown nowhere else). Read it, then delete the file:\n  export HANGAR_URL=${url} HANGAR_API_KEY=$(cat ${path})\n  npx hangar create --provider ${provider} --wait\n\n`;
}

/**
 * The provider the banner's example uses: `local` when it is offered (the embedded default), else
 * the first configured one (an SSH create needs a host first, so a cloud comes before it).
 *
 * @example
 * firstProvider(['ssh', 'hetzner']) // → 'hetzner'
 */
export function firstProvider(names: string[]): string {
  return names.includes('local') ? 'local' : (names.find((n) => n !== 'ssh') ?? names[0] ?? 'local');
}

/**
 * What the start-up banner says about a lost admin key: how to mint a new one offline.
 *
 * @example
 * recoveryHint('/srv/hangar', false) // → 'Lost the admin key? Stop Hangar, then run: npx hangar admin reset-key --data-dir /srv/hangar'
 */
export function recoveryHint(dataDir: string, postgres: boolean): string {
  const where = postgres ? 'DATABASE_URL=… npx hangar admin reset-key' : `npx hangar admin reset-key --data-dir ${dataDir}`;
  return `Lost the admin key? Stop Hangar, then run: ${where} (add --revoke-others to revoke the old ones)`;
}
