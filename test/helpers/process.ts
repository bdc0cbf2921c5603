import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
    // Tests run their own commands on the local provider, next to emulated clouds on loopback.
    env: { ...process.env, HANGAR_PORT: String(port), HANGAR_DASHBOARD: '0', HANGAR_LOG_LEVEL: 'warn', HANGAR_LOCAL_PROVIDER: '1', HANGAR_LOCAL_COMMANDS: '1', HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<string | null>((resolve, reject) => {
    const check = () => {
      if (/Hangar is running at/.test(out)) {
        // Not a terminal: the first admin key goes to <dataDir>/admin.key (0600), never to the output.
        setTimeout(() => {
          const file = /Admin API key written to (\S+) /.exec(out)?.[1];
          resolve(file ? readFileSync(file, 'utf8').trim() : null);
        }, 50);
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
