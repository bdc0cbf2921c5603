#!/usr/bin/env node
// The `hangar` CLI. `hangar admin …` runs on the server against the database directly (key
// recovery); everything else speaks the HTTP API. It runs the compiled CLI (dist/cli/main.mjs,
// built by `npm ci`, see scripts/build-cli.mjs) while that is newer than every source it was
// built from; otherwise the TypeScript through tsx, so an edited source is never run stale.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledCli } from './compiled.js';

const compiled = process.argv[2] === 'admin' ? null : compiledCli(fileURLToPath(new URL('../dist/cli', import.meta.url)));
if (compiled) await import(pathToFileURL(compiled).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  if (process.argv[2] === 'admin') {
    const { runAdminCli } = await import('../src/admin-cli.ts');
    process.exitCode = await runAdminCli(process.argv.slice(3), { stdout: process.stdout, stderr: process.stderr, env: process.env });
  } else await import('../src/cli/main.ts');
}
