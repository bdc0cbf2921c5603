import { createServer, type Server } from 'node:net';
import type { Command } from 'commander';
import WebSocket, { createWebSocketStream } from 'ws';
import { HangarClient } from '../client.ts';
import { MISSING_KEY } from '../config.ts';
import type { CommonOptions, Context } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import type { Action } from '../program.ts';
import { resolveId } from './resolve.ts';

/** `hangar ssh` exits with this when it could not reach the shell at all (like ssh). */
export const SSH_CONNECT_FAILED = 255;

/** The WebSocket address of a stream route, and the bearer header for it. */
function streamTarget(ctx: Context, path: string, query: [string, string][]): { url: URL; headers: Record<string, string> } {
  const s = ctx.settings();
  if (!s.apiKey) throw new CliError(MISSING_KEY);
  const url = new URL(path, s.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of query) url.searchParams.append(k, v);
  return { url, headers: { authorization: `Bearer ${s.apiKey}` } };
}

/** Why the server refused a WebSocket: the problem's detail when it sent one. */
function refusal(res: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    res.on('data', (d: Buffer) => (body = (body + d.toString()).slice(0, 4000)));
    res.on('end', () => {
      try {
        resolve(`${(JSON.parse(body) as { detail?: string }).detail ?? body} (HTTP ${res.statusCode})`);
      } catch {
        resolve(`HTTP ${res.statusCode}`);
      }
    });
    res.on('error', () => resolve(`HTTP ${res.statusCode}`));
  });
}

/**
 * `LOCAL:REMOTE` or `PORT` (both the same) as numbers; LOCAL may be 0 (any free port).
 *
 * @example
 * parsePortSpec('8080:18789') // → { local: 8080, remote: 18789 }
 */
export function parsePortSpec(spec: string): { local: number; remote: number } {
  const m = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(spec);
  const local = m ? Number(m[1]) : NaN;
  const remote = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || local > 65535 || remote < 1 || remote > 65535) throw new UsageError(`"${spec}" is not LOCAL:REMOTE or PORT (ports 1-65535; LOCAL may be 0 for any free port)`);
  return { local, remote };
}

/** `hangar ssh ID [-- cmd…]` and `hangar port-forward ID LOCAL:REMOTE…`: reach a server through its agent. */
export function registerReach(program: Command, action: Action): void {
  program
    .command('ssh')
    .description('a shell on the server (a PTY relayed over the agent’s connection, no inbound port; instances created with config {"exec": true}); with -- cmd, run one command. Exits with its exit code, 255 if the shell could not be opened')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .argument('[argv...]', 'a command to run instead of a login shell (put -- before it)')
    .action(action<CommonOptions>(async (ctx, raw) => {
      const [ref, argv] = raw as unknown as [string, string[] | undefined];
      const s = ctx.settings();
      if (!s.apiKey) throw new CliError(MISSING_KEY);
      const id = await resolveId(new HangarClient({ url: s.url, apiKey: s.apiKey }), ref);
      return ssh(ctx, id, argv ?? []);
    }));

  program
    .command('port-forward')
    .description('forward local TCP ports to ports on the server’s 127.0.0.1 (relayed over the agent’s connection, no inbound port); runs until interrupted')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .argument('<ports...>', 'LOCAL:REMOTE, or PORT for both (e.g. 18789:18789)')
    .option('--address <host>', 'the local address to listen on', '127.0.0.1')
    .action(action<CommonOptions & { address: string }>(async (ctx, raw, opts) => {
      const [ref, specs] = raw as unknown as [string, string[]];
      const pairs = specs.map(parsePortSpec);
      const s = ctx.settings();
      if (!s.apiKey) throw new CliError(MISSING_KEY);
      const id = await resolveId(new HangarClient({ url: s.url, apiKey: s.apiKey }), ref);
      const servers: Server[] = [];
      for (const p of pairs) servers.push(await forward(ctx, id, p, opts.address));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      for (const srv of servers) srv.close();
      return 0;
    }));
}

function ssh(ctx: Context, id: string, argv: string[]): Promise<number> {
  const stdin = process.stdin;
  const out = ctx.io.stdout;
  const raw = Boolean(stdin.isTTY && out.isTTY);
  const size = (): [number, number] => [out.columns || 80, out.rows || 24];
  const [cols, rows] = size();
  const { url, headers } = streamTarget(ctx, `/v1/instances/${id}/ssh`, [['cols', String(cols)], ['rows', String(rows)], ...argv.map((a): [string, string] => ['cmd', a])]);
  const ws = new WebSocket(url, { headers, handshakeTimeout: 20_000 });
  return new Promise<number>((resolve) => {
    let exitCode: number | null = null;
    let failure: string | null = null;
    const onResize = () => {
      const [c, r] = size();
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols: c, rows: r }));
    };
    const done = () => {
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      out.off('resize', onResize);
      if (failure) ctx.io.stderr.write(`hangar ssh: ${failure}\n`);
      resolve(exitCode ?? (failure ? SSH_CONNECT_FAILED : 0));
    };
    ws.on('unexpected-response', (_req, res) => {
      void refusal(res).then((why) => {
        failure = why;
        done();
      });
    });
    ws.on('open', () => {
      if (raw) stdin.setRawMode(true);
      stdin.on('data', (d: Buffer) => ws.readyState === WebSocket.OPEN && ws.send(d, { binary: true }));
      stdin.on('end', () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'eof' })));
      stdin.resume();
      out.on('resize', onResize);
    });
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (!out.write(d)) {
          ws.pause();
          out.once('drain', () => ws.resume());
        }
        return;
      }
      const m = JSON.parse(d.toString()) as { type: string; code?: number; message?: string };
      if (m.type === 'exit') exitCode = m.code ?? null;
      if (m.type === 'error') failure = m.message ?? 'the shell failed';
    });
    ws.on('close', (code, reason) => {
      if (exitCode === null && !failure && code !== 1000) failure = `connection closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`;
      done();
    });
    ws.on('error', (err) => {
      if (!failure) failure = `cannot reach ${url.origin}: ${err.message}`;
      if (ws.readyState !== WebSocket.OPEN) done();
    });
  });
}

async function forward(ctx: Context, id: string, p: { local: number; remote: number }, address: string): Promise<Server> {
  const server = createServer((sock) => {
    const { url, headers } = streamTarget(ctx, `/v1/instances/${id}/port-forward`, [['port', String(p.remote)]]);
    const ws = new WebSocket(url, { headers, handshakeTimeout: 20_000 });
    ws.on('unexpected-response', (_req, res) => {
      void refusal(res).then((why) => ctx.io.stderr.write(`port-forward ${p.local} → ${p.remote}: ${why}\n`));
      sock.destroy();
    });
    const dup = createWebSocketStream(ws);
    dup.on('error', () => sock.destroy());
    sock.on('error', () => dup.destroy());
    sock.pipe(dup).pipe(sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new CliError(`cannot listen on ${address}:${p.local}: ${err.message}`)));
    server.listen(p.local, address, resolve);
  });
  const port = (server.address() as { port: number }).port;
  ctx.info(`forwarding ${address}:${port} → 127.0.0.1:${p.remote} on ${id} (Ctrl-C to stop)`);
  return server;
}
