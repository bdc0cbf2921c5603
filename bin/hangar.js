#!/usr/bin/env node
// The `hangar` CLI: run the TypeScript entry through tsx (no build step). `hangar admin …` runs on
// the server against the database directly (key recovery); everything else speaks the HTTP API.
import { register } from 'tsx/esm/api';

register();
if (process.argv[2] === 'admin') {
  const { runAdminCli } = await import('../src/admin-cli.ts');
  process.exitCode = await runAdminCli(process.argv.slice(3), { stdout: process.stdout, stderr: process.stderr, env: process.env });
} else await import('../src/cli/main.ts');
