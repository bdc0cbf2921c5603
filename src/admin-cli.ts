/**
 * `hangar admin …`: commands run on the server itself, against the database directly, with
 * Hangar stopped (see bin/hangar.js, which sends `hangar admin` here rather than to the API CLI).
 *
 * `hangar admin reset-key [--data-dir DIR | --database-url URL] [--revoke-others]` mints a new
 * installation admin key (a lost key no longer means deleting `.hangar/`), prints it once and
 * records the reset (never the key) as an installation note.
 */
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { openDatabase } from './db/client.ts';
import { mintAdminKey, recordKeyReset } from './db/stores/keys.ts';
import { acquireLock } from './wiring/lockfile.ts';

export interface ResetKeyOptions {
  /** The data dir of an embedded (PGlite) installation. */
  dataDir?: string;
  /** A PostgreSQL installation (then the data dir is not used). */
  databaseUrl?: string;
  /** Revoke every other installation admin key as well. */
  revokeOthers?: boolean;
  /** The new key's name (default `recovered-<date>`). */
  name?: string;
}

/**
 * Mint a new admin key directly in the database. On PGlite the data-dir lock is taken first, so
 * this refuses (politely) while a Hangar runs on that data dir.
 *
 * @example
 * const { key, revoked } = await resetAdminKey({ dataDir: '/srv/hangar/.hangar' });
 */
export async function resetAdminKey(o: ResetKeyOptions): Promise<{ key: string; id: string; revoked: number; via: string }> {
  let release = () => {};
  let via: string;
  if (o.databaseUrl) via = `DATABASE_URL (${new URL(o.databaseUrl).host})`;
  else {
    if (!o.dataDir) throw new Error('say where the installation is: --data-dir DIR (embedded database) or --database-url / DATABASE_URL (PostgreSQL)');
    const dir = resolve(o.dataDir);
    if (!existsSync(join(dir, 'pgdata'))) throw new Error(`${dir} holds no Hangar database (no pgdata/ inside); pass the data dir Hangar runs with (HANGAR_DATA_DIR, default ./.hangar)`);
    try {
      release = acquireLock(dir);
    } catch (err) {
      throw new Error(`${(err as Error).message.replace(/ Stop it first.*$/, '')} Stop it first (reset-key opens the database directly), or, with a working admin key, mint one through the API: hangar keys create --role admin --name NAME`);
    }
    o = { ...o, dataDir: dir };
    via = `data dir ${dir}`;
  }
  try {
    const database = await openDatabase({ url: o.databaseUrl, dataDir: o.databaseUrl ? undefined : join(o.dataDir!, 'pgdata') });
    try {
      const by = `${safeUser()}@${hostname()}`;
      const minted = await mintAdminKey(database.db, { name: o.name ?? `recovered-${new Date().toISOString().slice(0, 10)}`, createdBy: `reset-key by ${by}`, revokeOthers: o.revokeOthers ?? false });
      await recordKeyReset(database.db, { keyId: minted.id, revoked: minted.revoked, by, via });
      return { ...minted, via };
    } finally {
      await database.close();
    }
  } finally {
    release();
  }
}

const safeUser = () => {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
};

/**
 * Run `hangar admin …` with `argv` (after `admin`); returns the exit code.
 *
 * @example
 * await runAdminCli(['reset-key', '--data-dir', '.hangar'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runAdminCli(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  let code = 0;
  const program = new Command('hangar admin')
    .description('server-side commands, run where Hangar runs, against its database directly')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  program
    .command('reset-key')
    .description('mint a new installation admin key offline (Hangar stopped); prints it once')
    .option('--data-dir <dir>', 'the data dir of an embedded installation (HANGAR_DATA_DIR)')
    .option('--database-url <url>', 'a PostgreSQL installation (DATABASE_URL)')
    .option('--revoke-others', 'also revoke every other installation admin key')
    .option('--name <name>', 'name of the new key')
    .action(async (opts: { dataDir?: string; databaseUrl?: string; revokeOthers?: boolean; name?: string }) => {
      const databaseUrl = opts.databaseUrl ?? (opts.dataDir ? undefined : io.env.DATABASE_URL || undefined);
      const dataDir = opts.dataDir ?? (databaseUrl ? undefined : io.env.HANGAR_DATA_DIR);
      try {
        const r = await resetAdminKey({ dataDir, databaseUrl, revokeOthers: opts.revokeOthers, name: opts.name });
        io.stderr.write(`New installation admin key for ${r.via} (shown once, stored hashed)${r.revoked ? `; ${r.revoked} other admin key${r.revoked === 1 ? '' : 's'} revoked` : '; other keys still work (--revoke-others revokes them)'}:\n`);
        io.stdout.write(`${r.key}\n`);
      } catch (err) {
        io.stderr.write(`hangar admin reset-key: ${(err as Error).message}\n`);
        code = 1;
      }
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}
