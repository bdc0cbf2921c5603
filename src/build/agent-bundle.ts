/**
 * Builds the agent bundle (agent/main.ts → agent/dist/agent.mjs, one file, esbuild) when its
 * sources changed, and serves its bytes and sha256 (what `/v1/agent/bundle` answers and user-data
 * pins). Build tooling of the server, not part of any layer: src/server.ts and the CLI use it.
 *
 * @example
 * const path = await ensureAgentBundle(); // → '<repo>/agent/dist/agent.mjs'
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AGENT_BUNDLE = join(ROOT, 'agent', 'dist', 'agent.mjs');
/** The source files the last build read (esbuild's metafile), to know when to rebuild. */
const INPUTS = join(ROOT, 'agent', 'dist', 'inputs.json');

let building: Promise<string> | null = null;
let serving: Promise<{ bytes: Buffer; sha256: string }> | null = null;

/**
 * Bundle the agent to one file (agent/dist/agent.mjs) if it is missing or older than any file
 * it was built from, and return its path. Called at start, so `npm start` needs no build step.
 * Several processes may call it at once: each writes a temp file and renames it into place.
 */
export function ensureAgentBundle(): Promise<string> {
  building ??= (async () => {
    if (existsSync(AGENT_BUNDLE) && statSync(AGENT_BUNDLE).mtimeMs >= newestSource()) return AGENT_BUNDLE;
    const tmp = `${AGENT_BUNDLE}.${process.pid}.tmp`;
    const result = await bundleAgent(tmp);
    const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules'));
    writeFileSync(`${INPUTS}.${process.pid}.tmp`, JSON.stringify(inputs));
    renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
    renameSync(tmp, AGENT_BUNDLE);
    return AGENT_BUNDLE;
  })();
  return building;
}

/**
 * The agent bundle this process serves at `/v1/agent/bundle` and pins in user-data: its bytes
 * and their sha256 (hex), read once from the bundle {@link ensureAgentBundle} built (or found
 * current), so the bytes served are always the bytes pinned, even if the file is rebuilt later.
 *
 * @example
 * const { bytes, sha256 } = await servedAgentBundle(); // sha256 → 'e3b0c442…' (64 hex digits)
 */
export function servedAgentBundle(): Promise<{ bytes: Buffer; sha256: string }> {
  if (!serving) {
    serving = ensureAgentBundle().then(async (path) => {
      const bytes = await readFile(path);
      return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
    serving.catch(() => (serving = null)); // a failed build is tried again on the next call
  }
  return serving;
}

/**
 * The sha256 (hex) of the agent bundle this process serves (see {@link servedAgentBundle}).
 *
 * @example
 * const pin = await agentBundleSha256(); // → 'e3b0c442…'
 */
export async function agentBundleSha256(): Promise<string> {
  return (await servedAgentBundle()).sha256;
}

/**
 * Bundle the agent to `outfile`. With `version`, the bundle reports that version (a release
 * build for `hangar agent release publish`); without, the development version.
 *
 * @example
 * await bundleAgent('/tmp/agent-2.0.0.mjs', '2.0.0');
 */
export function bundleAgent(outfile: string, version?: string) {
  return build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'agent', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'silent',
    metafile: true,
    ...(version ? { define: { __HANGAR_AGENT_VERSION__: JSON.stringify(version) } } : {}),
  });
}

/** Newest mtime of the agent's own sources and of every project file the last build read. */
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
  let inputs: string[] = [];
  try {
    inputs = JSON.parse(readFileSync(INPUTS, 'utf8')) as string[];
  } catch {
    return Number.POSITIVE_INFINITY; // no record of what it was built from: rebuild
  }
  for (const f of inputs) {
    try {
      newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
    } catch {
      return Number.POSITIVE_INFINITY; // a source moved or vanished: rebuild
    }
  }
  return newest;
}
