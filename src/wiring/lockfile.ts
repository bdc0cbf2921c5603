import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive } from '../providers/local.ts';

/**
 * One process per data dir: a pid lockfile, with a clear error if another Hangar holds it; a
 * lock left by a crashed process is taken over. Returns the release function.
 *
 * @example
 * const release = acquireLock('.hangar'); // … release() at shutdown
 */
export function acquireLock(dataDir: string): () => void {
  const path = join(dataDir, 'hangar.lock');
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8'));
      if (pid && pid !== process.pid && alive(pid)) {
        throw new Error(`Hangar is already running with data dir ${dataDir} (pid ${pid}). Stop it first, or start this one with --data-dir <another dir> or DATABASE_URL.`);
      }
      unlinkSync(path); // stale lock from a crashed process
    }
  }
  throw new Error(`could not lock ${path}`);
}
