/**
 * Start Prism (`@stoplight/prism-cli`) as a validating mock of a vendor's OpenAPI description, for
 * contract tests: every request our clients send is checked against the vendor's own spec, and a
 * request the spec rejects comes back 422 (with `sl-violations` or a problem+json `validation`
 * list), which {@link PrismMock.rejected} collects so the test can fail on it.
 *
 * Prism serves each spec without its server base path: Hetzner without `/v1`, Tailscale without
 * `/api/v2`; DigitalOcean's paths carry `/v2` themselves.
 *
 * @example
 * const prism = await startPrism(SPECS.hetzner);
 * const hz = new HetznerProvider({ token: 't', baseUrl: prism.baseUrl, fetch: prism.fetch() });
 * ...
 * expect(prism.rejected()).toEqual([]);
 * await prism.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FetchLike } from '../../src/http/client.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const specsDir = process.env.HANGAR_SPECS_DIR ?? fileURLToPath(new URL('../../specs/', import.meta.url));

/** The vendor specs in `specs/` (vendored from `../shared/specs/`) (override the folder with `HANGAR_SPECS_DIR`). */
export const SPECS = {
  hetzner: `${specsDir.replace(/\/$/, '')}/hetzner-cloud.openapi.json`,
  digitalocean: `${specsDir.replace(/\/$/, '')}/digitalocean.openapi.yaml`,
  tailscale: `${specsDir.replace(/\/$/, '')}/tailscale.openapi.json`,
};

/** One request as Prism saw it. */
export interface Exchange {
  method: string;
  /** Path and query as sent. */
  path: string;
  status: number;
  /** Prism's validation complaints about the request, when it rejected it. */
  violations: string | null;
  /** Prism's own error slug when it answered with one (`UNPROCESSABLE_ENTITY`, `NO_PATH_MATCHED_ERROR`, …). */
  prismError: string | null;
}

/**
 * Prism errors that mean "the spec does not allow this request". `NOT_FOUND` is absent on
 * purpose: Prism answers it when a test asks (`Prefer: code=404`) for a status the spec does not
 * document, after the request itself validated.
 */
export const REJECTIONS = new Set([
  'UNPROCESSABLE_ENTITY',
  'INVALID_CONTENT_TYPE',
  'NOT_ACCEPTABLE',
  'UNAUTHORIZED',
  'NO_PATH_MATCHED_ERROR',
  'NO_METHOD_MATCHED_ERROR',
  'NO_SERVER_MATCHED_ERROR',
  'NO_RESPONSE_DEFINED',
]);

export interface PrismMock {
  readonly baseUrl: string;
  readonly port: number;
  /** Milliseconds from spawn to "listening". */
  readonly startupMs: number;
  readonly exchanges: Exchange[];
  /**
   * A fetch that records every exchange. `prefer` is sent as Prism's `Prefer` header, e.g.
   * `code=404` to have the mock answer 404 (after validating the request).
   */
  fetch(prefer?: string): FetchLike;
  /** Exchanges whose request the spec rejected (422 or a violations header). */
  rejected(): Exchange[];
  /** Exchanges since a mark (`exchanges.length` taken earlier). */
  since(mark: number): Exchange[];
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function prismBin(): string {
  const bin = `${repoRoot}node_modules/.bin/prism`;
  if (!existsSync(bin)) throw new Error(`Prism is not installed at ${bin} (npm i)`);
  return bin;
}

async function spawnPrism(spec: string, port: number, timeoutMs: number): Promise<{ child: ChildProcess; startupMs: number }> {
  const started = Date.now();
  const child = spawn(prismBin(), ['mock', '-h', '127.0.0.1', '-p', String(port), '--errors', spec], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`Prism did not start for ${spec}: ${why}\n${out.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    const onData = (buf: Buffer) => {
      out += buf.toString();
      if (out.length > 200_000) out = out.slice(-20_000);
      if (/Prism is listening on/.test(out)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // Keep draining the pipes so a chatty mock never blocks on a full buffer.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ child, startupMs: Date.now() - started });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.once('error', (err) => fail(err.message));
  });
}

/** Start Prism on a free port for `spec` and wait until it listens. */
export async function startPrism(spec: string, opts: { timeoutMs?: number } = {}): Promise<PrismMock> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const { child, startupMs } = await spawnPrism(spec, port, opts.timeoutMs ?? 60_000);
      child.removeAllListeners('exit');
      return mock(child, port, startupMs);
    } catch (err) {
      lastErr = err; // most likely the port was taken between probing and binding
    }
  }
  throw lastErr;
}

function mock(child: ChildProcess, port: number, startupMs: number): PrismMock {
  const baseUrl = `http://127.0.0.1:${port}`;
  const exchanges: Exchange[] = [];
  return {
    baseUrl,
    port,
    startupMs,
    exchanges,
    fetch(prefer?: string): FetchLike {
      return async (url, init) => {
        const headers = new Headers(init.headers as HeadersInit);
        if (prefer) headers.set('prefer', prefer);
        const res = await fetch(url, { ...init, headers });
        const text = await res.clone().text();
        let violations = res.headers.get('sl-violations');
        let prismError: string | null = null;
        if ((res.headers.get('content-type') ?? '').includes('problem+json') || res.status === 422) {
          try {
            const body = JSON.parse(text) as { type?: string; validation?: unknown; detail?: string };
            if (typeof body.type === 'string' && body.type.includes('stoplight.io/prism/errors#')) prismError = body.type.split('#').pop() ?? null;
            if (!violations && (res.status === 422 || (prismError && REJECTIONS.has(prismError)))) violations = JSON.stringify(body.validation ?? body.detail ?? body);
          } catch {
            if (res.status === 422) violations = text;
          }
        }
        const u = new URL(url);
        exchanges.push({ method: (init.method ?? 'GET').toUpperCase(), path: `${u.pathname}${u.search}`, status: res.status, violations, prismError });
        return res;
      };
    },
    rejected() {
      return exchanges.filter((e) => e.status === 422 || e.violations || (e.prismError && REJECTIONS.has(e.prismError)));
    },
    since(mark: number) {
      return exchanges.slice(mark);
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}
