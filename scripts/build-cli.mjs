#!/usr/bin/env node
// Compile the `hangar` CLI (src/cli/main.ts) to one JavaScript file, dist/cli/main.mjs, with the
// list of sources it was built from (dist/cli/inputs.json). Run by `npm ci` (the `prepare`
// script): bin/hangar.js runs it while it is newer than every source, else TypeScript via tsx, so
// a CLI call starts in a fraction of the time and an edited source is never run stale.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'cli');
mkdirSync(OUT, { recursive: true });
const tmp = join(OUT, `main.${process.pid}.tmp.mjs`);
const result = await build({
  entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
  outfile: tmp,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies load from node_modules as they are; only our sources are compiled.
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).map((p) => join(ROOT, p));
writeFileSync(join(OUT, 'inputs.json'), JSON.stringify(inputs));
renameSync(tmp, join(OUT, 'main.mjs'));
