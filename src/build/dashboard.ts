/**
 * Builds the dashboard (web/ → web/dist, Vite) when its sources changed, once across processes
 * (a lock, a stamp), so `npm start` needs no build step. Build tooling of the server, not part of
 * any layer: src/server.ts uses it.
 *
 * @example
 * const webDir = await ensureDashboardBuilt({ log: (m) => log.info(m) });
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The dashboard's sources (Vite root). */
const WEB_DIR = join(ROOT, 'web');
/** Where the built dashboard lives; the API serves it at `/` (see buildApp's `webDir`). */
const DASHBOARD_DIST = join(WEB_DIR, 'dist');
/** Scratch space for builds in progress, the lock and swapped-out builds (gitignored with node_modules). */
const WORK_DIR = join(ROOT, 'node_modules', '.cache', 'hangar-dashboard');
const LOCK_DIR = join(WORK_DIR, 'lock');
const STAMP = '.build-stamp';
/** Packages whose version changes the output. */
const BUILD_PACKAGES = ['vite', '@vitejs/plugin-react', 'react', 'react-dom', 'openapi-fetch'];
/** The API contract the dashboard imports (src/api/contract): part of its sources. */
const CONTRACT_DIR = join(ROOT, 'src', 'api', 'contract');

export interface DashboardBuildOptions {
  log?: (msg: string) => void;
  /** Build even when web/dist is up to date. */
  force?: boolean;
}

let inProcess: Promise<string> | null = null;

/**
 * Build the dashboard (web/) into web/dist with Vite's JS API when web/dist is missing or was
 * built from other sources, and return web/dist. Up to date, it costs one hash of the sources
 * (a few dozen small files). Called at start, so `npm start` needs no build step.
 *
 * Safe when several processes call it at once: a lock directory lets one build while the others
 * wait and reuse its output, and every build goes to a temporary directory that is renamed into
 * place, so web/dist is never half-written (a stale lock from a crashed build is broken).
 * If a rebuild fails (read-only install, broken toolchain) while an earlier build exists, it
 * logs why and returns that build; it throws only when there is no build to serve at all.
 *
 * @example
 * const webDir = config.dashboard ? await ensureDashboardBuilt({ log: (m) => log.info(m) }) : undefined;
 */
export function ensureDashboardBuilt(opts: DashboardBuildOptions = {}): Promise<string> {
  if (opts.force) return build(opts);
  inProcess ??= build(opts).finally(() => {
    inProcess = null;
  });
  return inProcess;
}

/** Whether web/dist holds a build of the current sources. */
function dashboardUpToDate(stamp = sourceStamp()): boolean {
  return builtStamp(DASHBOARD_DIST) === stamp;
}

async function build(opts: DashboardBuildOptions): Promise<string> {
  const log = opts.log ?? (() => {});
  // Shipped without sources (only web/dist): serve what is there.
  if (!existsSync(join(WEB_DIR, 'src')) && existsSync(join(DASHBOARD_DIST, 'index.html'))) return DASHBOARD_DIST;
  if (!opts.force && dashboardUpToDate()) return DASHBOARD_DIST;
  try {
    return await buildLocked(opts, log);
  } catch (err) {
    // A read-only install or a broken toolchain: an older build beats no dashboard at all.
    if (existsSync(join(DASHBOARD_DIST, 'index.html'))) {
      log(`could not rebuild the dashboard (${(err as Error).message}); serving the previous build`);
      return DASHBOARD_DIST;
    }
    throw err;
  }
}

async function buildLocked(opts: DashboardBuildOptions, log: (msg: string) => void): Promise<string> {
  mkdirSync(WORK_DIR, { recursive: true });
  const release = await acquireLock(log);
  try {
    // Sources may have changed, or another process built them, while we waited.
    const stamp = sourceStamp();
    if (!opts.force && dashboardUpToDate(stamp)) return DASHBOARD_DIST;
    const started = Date.now();
    log(opts.force ? 'rebuilding the dashboard (forced)' : existsSync(DASHBOARD_DIST) ? 'dashboard sources changed; rebuilding web/dist' : 'building the dashboard into web/dist');
    const tmp = join(WORK_DIR, `build-${process.pid}-${Date.now().toString(36)}`);
    try {
      const { build: viteBuild } = await import('vite');
      const { default: config } = await import('../../web/vite.config.ts');
      // Vite and the React plugin pick the production JSX runtime and React build from
      // NODE_ENV, which a test runner sets to `test`: build as production, then put it back.
      const nodeEnv = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        await viteBuild({
          ...config,
          configFile: false,
          root: WEB_DIR,
          mode: 'production',
          define: { ...config.define, 'process.env.NODE_ENV': JSON.stringify('production') },
          logLevel: 'warn',
          clearScreen: false,
          build: { ...config.build, outDir: tmp, emptyOutDir: true },
        });
      } finally {
        if (nodeEnv === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = nodeEnv;
      }
      writeFileSync(join(tmp, STAMP), stamp);
      swapIn(tmp, stamp);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    log(`dashboard built in ${Date.now() - started} ms`);
    return DASHBOARD_DIST;
  } finally {
    release();
  }
}

/** Move a finished build to web/dist, replacing what is there (two renames; races are retried). */
function swapIn(tmp: string, stamp: string): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    const old = join(WORK_DIR, `old-${process.pid}-${Date.now().toString(36)}-${attempt}`);
    try {
      renameSync(DASHBOARD_DIST, old);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EXDEV') {
        rmSync(DASHBOARD_DIST, { recursive: true, force: true });
      } else if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      renameSync(tmp, DASHBOARD_DIST);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EXDEV') cpSync(tmp, DASHBOARD_DIST, { recursive: true });
      else if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        // Someone else swapped a build in between our two renames: keep theirs if it is current.
        if (builtStamp(DASHBOARD_DIST) === stamp) return;
        continue;
      } else throw err;
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
    return;
  }
  throw new Error(`could not move the dashboard build into ${DASHBOARD_DIST}`);
}

function builtStamp(dir: string): string | null {
  try {
    if (!existsSync(join(dir, 'index.html'))) return null;
    return readFileSync(join(dir, STAMP), 'utf8');
  } catch {
    return null;
  }
}

/**
 * A lock directory (mkdir is atomic) holding the owner's pid. A lock whose owner is gone, or
 * older than five minutes, is a crashed build's and is broken.
 */
async function acquireLock(log: (msg: string) => void): Promise<() => void> {
  const deadline = Date.now() + 300_000;
  let told = false;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      return () => rmSync(LOCK_DIR, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (lockIsStale()) {
      rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another dashboard build (lock ${LOCK_DIR})`);
    if (!told) log('waiting for another process to finish building the dashboard');
    told = true;
    await new Promise((r) => setTimeout(r, 150));
  }
}

function lockIsStale(): boolean {
  try {
    const age = Date.now() - statSync(LOCK_DIR).mtimeMs;
    if (age > 300_000) return true;
    const pid = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'));
    if (!pid) return age > 5_000; // the owner has not written its pid yet (or died before it did)
    if (pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // released meanwhile: the next mkdir will tell
  }
}

/** sha256 of every dashboard source (path and content) and of the build tools' versions. */
function sourceStamp(): string {
  const h = createHash('sha256');
  const files = [join(WEB_DIR, 'index.html'), join(WEB_DIR, 'vite.config.ts'), ...walk(join(WEB_DIR, 'src')), ...walk(CONTRACT_DIR)].sort();
  for (const f of files) {
    h.update(`${relative(WEB_DIR, f)}\0`);
    h.update(existsSync(f) ? readFileSync(f) : '<missing>');
    h.update('\0');
  }
  for (const p of BUILD_PACKAGES) {
    try {
      h.update(`${p}@${(JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')) as { version: string }).version}\0`);
    } catch {
      h.update(`${p}@?\0`);
    }
  }
  return h.digest('hex');
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() && !/\.test\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}
