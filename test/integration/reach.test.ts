/**
 * Reaching an agent end to end, with real agents on the local provider (whose "server" is this
 * machine, so the test's own servers on 127.0.0.1 stand for the workload's loopback): a shell in
 * a PTY, port-forward, and the workload proxy for HTTP and WebSocket, with the caller's own
 * authentication.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { body } from '../../src/api/contract/index.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let h: TestHangar;
let ui: Server;
let echo: TcpServer;
let uiPort: number;
let echoPort: number;
/** What the "workload UI" received last: method, url, headers, body. */
let seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string } = { headers: {}, body: '' };
let shellId: string;
let plainId: string;

beforeAll(async () => {
  ui = createHttpServer((req, res) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d.toString()));
    req.on('end', () => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: b };
      res.writeHead(200, { 'content-type': 'text/plain', 'x-workload': 'yes' });
      res.end(`ui ${req.method} ${req.url} ${b}`);
    });
  });
  const wss = new WebSocketServer({ server: ui });
  wss.on('connection', (ws, req) => ws.on('message', (d, bin) => ws.send(bin ? d : `echo ${d.toString()} at ${req.url}`)));
  await new Promise<void>((r) => ui.listen(0, '127.0.0.1', r));
  uiPort = (ui.address() as AddressInfo).port;
  echo = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as AddressInfo).port;

  h = await startTestHangar('reach');
  const create = async (name: string, config: Record<string, unknown>) => {
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name, config } });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    return id;
  };
  [shellId, plainId] = await Promise.all([create('reach shell', { exec: true, uiPort }), create('reach plain', {})]);
  await Promise.all([shellId, plainId].map((id) => h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected', 45_000)));
}, 90_000);

afterAll(async () => {
  await h?.close();
  ui?.close();
  echo?.close();
});

const wsUrl = (path: string) => `${h.url.replace(/^http/, 'ws')}${path}`;
const auth = () => ({ authorization: `Bearer ${h.apiKey}` });

/** Open a WebSocket and collect what it receives until it closes. */
function session(url: string, headers: Record<string, string> = auth()) {
  const ws = new WebSocket(url, { headers });
  let out = '';
  const texts: string[] = [];
  ws.on('message', (d: Buffer, bin: boolean) => (bin ? (out += d.toString()) : texts.push(d.toString())));
  let refusal: import('node:net').Socket | null = null;
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => {
      refusal = res.socket;
      res.resume();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, opened, closed, output: () => out, texts, refusal: () => refusal };
}

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('hangar ssh', () => {
  it('runs a command in a PTY and exits with its exit code; the shell is audited without its content', async () => {
    const r = await runCli({ url: h.url, apiKey: h.apiKey, dataDir: h.dataDir }, ['ssh', shellId, '--', 'sh', '-c', 'tty; echo out-$((6*7)); exit 7']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r?$/m);
    expect(r.stdout).toContain('out-42');
    expect(r.code).toBe(7);
    const { items } = await body(h.client.GET('/v1/instances/{id}/events', { params: { path: { id: shellId }, query: { limit: 1000 } } }));
    const reasons = items.map((e) => e.reason ?? '');
    expect(reasons.some((x) => /^shell opened by api:.*: a command$/.test(x))).toBe(true);
    expect(reasons.some((x) => /^shell closed \(exit 7, \d+ s\)$/.test(x))).toBe(true);
    expect(reasons.join('\n')).not.toContain('out-42');
  });

  it('an interactive shell follows window resizes, and its exit code comes back', async () => {
    const s = session(wsUrl(`/v1/instances/${shellId}/ssh?cols=80&rows=24&cmd=sh`));
    await s.opened;
    s.ws.send(Buffer.from('stty size\n'));
    await until('the first size', () => s.output().includes('24 80'));
    s.ws.send(JSON.stringify({ type: 'resize', cols: 132, rows: 43 }));
    s.ws.send(Buffer.from('stty size; exit 3\n'));
    expect(await s.closed).toBe(1000);
    expect(s.output()).toContain('43 132');
    expect(s.texts.map((t) => JSON.parse(t))).toEqual([{ type: 'exit', code: 3 }]);
  });

  it('from a terminal: the CLI puts it in raw mode, relays keystrokes, and exits with the shell’s code', async () => {
    // `script` gives the CLI a real TTY of its own (stdin and stdout), as a user's terminal does.
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const bin = join(import.meta.dirname, '../../bin/hangar.js');
    const child = spawn('script', ['-qfec', `${process.execPath} ${bin} ssh ${shellId} -- sh`, '/dev/null'], { env: { PATH: process.env.PATH ?? '', HANGAR_URL: h.url, HANGAR_API_KEY: h.apiKey, XDG_CONFIG_HOME: h.dataDir, NO_COLOR: '1', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    // Typed once the remote shell prompts; raw mode passes each byte on as typed.
    await until('the remote prompt', () => /[$#] /.test(out), 30_000);
    child.stdin.write('echo raw-$((2*21)); exit 6\r');
    expect(await code).toBe(6);
    expect(out).toContain('raw-42');
  });

  it('is refused like exec where exec is off (403, exit 255), and without a key (401)', async () => {
    const r = await runCli({ url: h.url, apiKey: h.apiKey, dataDir: h.dataDir }, ['ssh', plainId, '--', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('config {"exec": true}');
    expect(r.stderr).toContain('HTTP 403');
    await expect(session(wsUrl(`/v1/instances/${shellId}/ssh`), {}).opened).rejects.toThrow('HTTP 401');
  });

  it('a browser opens it with a short-lived ticket for that instance only', async () => {
    const res = await h.api(`/v1/instances/${shellId}/tickets`, { method: 'POST', json: { purpose: 'terminal' } });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    const s = session(wsUrl(`${url}&cmd=echo&cmd=via-ticket`), {});
    await s.opened;
    expect(await s.closed).toBe(1000);
    expect(s.output()).toContain('via-ticket');
    // The same ticket names another instance: refused.
    await expect(session(wsUrl(url.replace(shellId, plainId)), {}).opened).rejects.toThrow('HTTP 401');
  });
});

describe('hangar port-forward', () => {
  it('relays a TCP echo through the agent', async () => {
    const cli = spawnCli({ url: h.url, apiKey: h.apiKey, dataDir: h.dataDir }, ['port-forward', shellId, `0:${echoPort}`]);
    try {
      await until('the forwarding line', () => /forwarding 127\.0\.0\.1:\d+/.test(cli.output()), 30_000);
      const local = Number(/forwarding 127\.0\.0\.1:(\d+)/.exec(cli.output())![1]);
      const sock = connect(local, '127.0.0.1');
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      const big = 'x'.repeat(600_000); // more than a stream window: flow control must carry it
      sock.write(`ping ${big} pong`);
      await until('the echo', () => got.length >= big.length + 10);
      expect(got).toBe(`ping ${big} pong`);
      sock.destroy();
    } finally {
      cli.kill('SIGINT');
    }
  });

  it('reaches only loopback ports that listen: a closed one is a 502 naming it', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createTcpServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    await expect(session(wsUrl(`/v1/instances/${shellId}/port-forward?port=${closed}`)).opened).rejects.toThrow('HTTP 502');
    await expect(session(wsUrl(`/v1/instances/${shellId}/port-forward?port=70000`)).opened).rejects.toThrow('HTTP 400');
  });
});

describe('the workload proxy', () => {
  const proxy = (id: string, rest = '') => `${h.url}/v1/instances/${id}/proxy/${rest}`;

  it('relays HTTP to the UI port without Hangar’s credentials; nobody gets in without auth', async () => {
    const get = await fetch(proxy(shellId, 'hello?x=1'), { headers: { ...auth(), cookie: 'theirs=1' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('x-workload')).toBe('yes');
    expect(await get.text()).toBe('ui GET /hello?x=1 ');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers.cookie).toBe('theirs=1');
    expect(seen.headers['x-forwarded-prefix']).toBe(`/v1/instances/${shellId}/proxy`);
    const post = await fetch(proxy(shellId, 'api'), { method: 'POST', headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' });
    expect(await post.text()).toBe('ui POST /api a=1&b=2');
    expect((await fetch(proxy(shellId, 'hello'))).status).toBe(401);
    expect((await fetch(proxy(shellId, 'hello'), { headers: { cookie: 'hangar_proxy=forged.sig' } })).status).toBe(401);
    // A workload without a known UI port says how to name one.
    const none = await fetch(proxy(plainId), { headers: auth() });
    expect(none.status).toBe(404);
    expect((await none.json()).detail).toContain('uiPort');
  });

  it('a sign-in link sets an HttpOnly cookie scoped to that instance’s proxy, which the workload never sees', async () => {
    const res = await h.api(`/v1/instances/${shellId}/tickets`, { method: 'POST', json: { purpose: 'proxy' } });
    const { url } = (await res.json()) as { url: string };
    const first = await fetch(`${h.url}${url}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe(`/v1/instances/${shellId}/proxy/`);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^hangar_proxy=[^;]+; Path=/v1/instances/${shellId}/proxy/; Max-Age=\\d+; HttpOnly; SameSite=Strict$`));
    const pair = cookie.split(';')[0];
    const page = await fetch(proxy(shellId, 'page'), { headers: { cookie: `${pair}; theirs=2` } });
    expect(page.status).toBe(200);
    expect(seen.headers.cookie).toBe('theirs=2');
    // The cookie is this instance's only.
    expect((await fetch(proxy(plainId, 'page'), { headers: { cookie: pair } })).status).toBe(401);
  });

  it('relays a WebSocket to the workload', async () => {
    const s = session(wsUrl(`/v1/instances/${shellId}/proxy/live?q=1`));
    await s.opened;
    const answer = new Promise<string>((resolve) => s.ws.once('message', (d: Buffer) => resolve(d.toString())));
    s.ws.send('hi');
    expect(await answer).toBe('echo hi at /live?q=1');
    s.ws.close();
    await s.closed;
  });
});

describe('refused upgrades', () => {
  it('leave no socket open behind them', async () => {
    const refused = session(wsUrl(`/v1/instances/${shellId}/ssh`), {});
    await expect(refused.opened).rejects.toThrow('HTTP 401');
    // The server closed the connection after its answer (else Hangar could not shut down).
    const sock = refused.refusal()!;
    await until('the server to close the refused socket', () => sock.destroyed || sock.readableEnded);
  });
});

describe('several replicas', () => {
  it('a replica that does not hold the agent’s socket refuses a stream with a 409 naming the one that does', async () => {
    const { Hub } = await import('../../src/hub/hub.ts');
    const pino = (await import('pino')).default;
    const other = new Hub(h.engine, pino({ level: 'silent' }), 'replica-b');
    const row = await h.engine.store.get(shellId);
    await expect(other.openStream(shellId, { kind: 'tcp', port: echoPort })).rejects.toMatchObject({ status: 409, type: 'agent-on-other-replica', message: expect.stringContaining(row.hubReplica!) });
    await other.close();
  });
});
