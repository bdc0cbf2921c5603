import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
    s.on('error', reject);
  });
}

export interface HangarProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the admin key once the server printed it (first start only), else null. */
  ready: Promise<string | null>;
  kill(sig?: NodeJS.Signals): Promise<void>;
}

/** Run `npm start`'s entry point as its own process, so a test can SIGKILL it. */
export function spawnHangar(env: Record<string, string>, port: number): HangarProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, HANGAR_PORT: String(port), HANGAR_DASHBOARD: '0', HANGAR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<string | null>((resolve, reject) => {
    const check = () => {
      if (/Hangar is running at/.test(out)) {
        setTimeout(() => resolve(/(hgr_[A-Za-z0-9_-]{20,})/.exec(out)?.[1] ?? null), 50);
        return true;
      }
      return false;
    };
    child.stdout!.on('data', () => check());
    child.on('exit', (code) => reject(new Error(`hangar exited ${code} before it was ready:\n${out}`)));
  });
  ready.catch(() => {});
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    ready,
    async kill(sig: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill(sig);
      await gone;
    },
  };
}
