import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const AGENT_BUNDLE = join(ROOT, 'agent', 'dist', 'agent.mjs');

let building: Promise<string> | null = null;

/**
 * Bundle the agent to one file (agent/dist/agent.mjs) if it is missing or older than its
 * sources, and return its path. Called at start, so `npm start` needs no build step.
 */
export function ensureAgentBundle(): Promise<string> {
  building ??= (async () => {
    if (existsSync(AGENT_BUNDLE) && statSync(AGENT_BUNDLE).mtimeMs >= newestSource()) return AGENT_BUNDLE;
    await build({
      entryPoints: [join(ROOT, 'agent', 'main.ts')],
      outfile: AGENT_BUNDLE,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'silent',
    });
    return AGENT_BUNDLE;
  })();
  return building;
}

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'dist' || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, 'agent'));
  for (const f of ['src/hub/protocol.ts', 'src/bootstrap/types.ts']) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}
