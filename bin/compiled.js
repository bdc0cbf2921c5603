// Which compiled CLI bin/hangar.js may run: dist/cli/main.mjs while no source it was built from
// (dist/cli/inputs.json, written by scripts/build-cli.mjs) is newer than it or gone.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The compiled entry in `dir` if it is current, else null (run the TypeScript instead).
 *
 * @example
 * compiledCli('/srv/hangar/dist/cli') // → '/srv/hangar/dist/cli/main.mjs' | null
 * @param {string} dir
 * @returns {string | null}
 */
export function compiledCli(dir) {
  const entry = join(dir, 'main.mjs');
  try {
    if (!existsSync(entry)) return null;
    const built = statSync(entry).mtimeMs;
    const inputs = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8'));
    return Array.isArray(inputs) && inputs.length > 0 && inputs.every((p) => existsSync(p) && statSync(p).mtimeMs <= built) ? entry : null;
  } catch {
    return null;
  }
}
