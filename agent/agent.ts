import { appendFile, chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { BootstrapConfig, WorkloadPlan } from '../src/bootstrap/types.ts';
import { CLOSE_REVOKED, CLOSE_UNAUTHORIZED, type AgentMessage, type HubMessage } from '../src/hub/protocol.ts';
import { Workload } from './workload.ts';

export const AGENT_VERSION = '0.1.0';

interface AgentState {
  agentId: string;
  agentKey: string;
  instanceId: string;
  serverName: string;
  hubUrl: string;
  heartbeatSeconds: number;
  env: Record<string, string>;
  workload: WorkloadPlan;
}

/** Jittered exponential backoff: 0.5 s doubling to 30 s, each delay ×[0.5, 1.5). */
export function backoff(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runAgent(opts: { configPath: string; stateDir: string }): Promise<void> {
  const logPath = join(opts.stateDir, 'agent.log');
  const pending: AgentMessage[] = [];
  const log = (line: string, source: 'bootstrap' | 'agent' | 'workload' = 'agent') => {
    const stamped = `${new Date().toISOString()} ${line}`;
    void appendFile(logPath, `${stamped}\n`, { mode: 0o600 }).catch(() => {});
    const last = pending[pending.length - 1];
    if (last && last.type === 'log' && last.source === source && last.lines.length < 100) last.lines.push(line);
    else pending.push({ type: 'log', source, lines: [line] });
  };

  const state = await loadOrEnroll(opts, (l) => log(l, 'bootstrap'));
  await writeEnv(opts.stateDir, state.env);
  log(`agent ${state.agentId} for ${state.serverName} (v${AGENT_VERSION})`, 'bootstrap');
  await forwardBootstrapLog((l) => log(l, 'bootstrap'));

  const workload = new Workload(state.workload, (l) => log(l, 'workload'));
  let ws: WebSocket | null = null;
  let workloadStarted = false;
  let lastHealthy: boolean | null = null;
  let exiting = false;
  const started = Date.now();

  const send = (m: AgentMessage) => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
    else pending.push(m);
  };
  const flush = () => {
    while (pending.length && ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(pending.shift()));
  };

  const shutdown = async (code: number) => {
    exiting = true;
    await workload.stop();
    ws?.close(1000);
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));

  const startWorkload = async () => {
    if (workloadStarted) return;
    workloadStarted = true;
    send({ type: 'progress', step: 'configure', detail: `${state.workload.files.length} files` });
    try {
      await workload.start();
      send({ type: 'progress', step: 'workload', detail: state.workload.kind });
    } catch (err) {
      log(`workload failed to start: ${(err as Error).message}`, 'workload');
      send({ type: 'health', healthy: false, detail: (err as Error).message });
    }
  };

  // Health loop: probe fast until first healthy, then once a heartbeat.
  const probe = async () => {
    if (!workloadStarted || exiting) return;
    const { healthy, detail } = await workload.check();
    if (healthy !== lastHealthy) {
      lastHealthy = healthy;
      send({ type: 'health', healthy, detail });
    }
  };
  (async () => {
    for (;;) {
      await sleep(lastHealthy ? state.heartbeatSeconds * 1000 : 250);
      await probe().catch(() => {});
    }
  })();

  const onCommand = async (m: Extract<HubMessage, { type: 'command' }>) => {
    if (m.name === 'shutdown') {
      log('shutdown requested by control plane');
      await workload.stop();
      send({ type: 'result', id: m.id, ok: true });
      flush();
      setTimeout(() => process.exit(0), 200);
      exiting = true;
      return;
    }
    if (m.name === 'status') {
      send({ type: 'result', id: m.id, ok: true, data: { version: AGENT_VERSION, uptimeSeconds: Math.round((Date.now() - started) / 1000), workloadHealthy: lastHealthy, hostname: hostname() } });
      return;
    }
    send({ type: 'result', id: m.id, ok: false, error: `command ${m.name} not supported by agent ${AGENT_VERSION}` });
  };

  for (let attempt = 0; !exiting; ) {
    const outcome = await new Promise<'closed' | 'revoked'>((resolve) => {
      const sock = new WebSocket(state.hubUrl, { headers: { authorization: `Bearer ${state.agentId}:${state.agentKey}` }, handshakeTimeout: 10_000 });
      ws = sock;
      let beat: NodeJS.Timeout | null = null;
      sock.on('open', () => {
        attempt = 0;
        sock.send(JSON.stringify({ type: 'hello', version: AGENT_VERSION, uptimeSeconds: Math.round((Date.now() - started) / 1000), workloadHealthy: lastHealthy, hostname: hostname() } satisfies AgentMessage));
        if (lastHealthy !== null) sock.send(JSON.stringify({ type: 'health', healthy: lastHealthy } satisfies AgentMessage));
        flush();
        beat = setInterval(() => send({ type: 'heartbeat', workloadHealthy: lastHealthy, uptimeSeconds: Math.round((Date.now() - started) / 1000) }), state.heartbeatSeconds * 1000);
        void startWorkload();
      });
      sock.on('message', (raw) => {
        let m: HubMessage;
        try {
          m = JSON.parse(raw.toString()) as HubMessage;
        } catch {
          return;
        }
        if (m.type === 'welcome' && m.serverId && state.env.SERVER_ID !== m.serverId) {
          state.env.SERVER_ID = m.serverId;
          void writeEnv(opts.stateDir, state.env);
        }
        if (m.type === 'command') void onCommand(m);
      });
      sock.on('unexpected-response', (_req, res) => {
        log(`hub refused connection: HTTP ${res.statusCode}`);
        resolve(res.statusCode === 401 || res.statusCode === 403 ? 'revoked' : 'closed');
      });
      sock.on('close', (code) => {
        if (beat) clearInterval(beat);
        resolve(code === CLOSE_REVOKED || code === CLOSE_UNAUTHORIZED ? 'revoked' : 'closed');
      });
      sock.on('error', () => {});
    });
    if (exiting) break;
    if (outcome === 'revoked') {
      log('agent key revoked: instance was destroyed; stopping');
      await shutdown(0);
      return;
    }
    const delay = backoff(attempt++);
    log(`hub connection lost; reconnecting in ${Math.round(delay)} ms`);
    await sleep(delay);
  }
}

async function loadOrEnroll(opts: { configPath: string; stateDir: string }, log: (l: string) => void): Promise<AgentState> {
  const statePath = join(opts.stateDir, 'state.json');
  if (existsSync(statePath)) return JSON.parse(await readFile(statePath, 'utf8')) as AgentState;
  const cfg = JSON.parse(await readFile(opts.configPath, 'utf8')) as BootstrapConfig;
  log(`enrolling with ${cfg.apiUrl} as ${cfg.serverName}`);
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${cfg.apiUrl}/v1/agents/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: cfg.token, instanceId: cfg.instanceId, version: AGENT_VERSION, hostname: hostname() }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status === 401 || res.status === 403 || res.status === 400) {
        const body = (await res.json().catch(() => ({}))) as { detail?: string };
        throw Object.assign(new Error(`enrollment refused: ${body.detail ?? res.status}`), { fatal: true });
      }
      if (!res.ok) throw new Error(`enrollment failed: HTTP ${res.status}`);
      const state = (await res.json()) as AgentState;
      await writeFile(statePath, JSON.stringify(state), { mode: 0o600 });
      await chmod(statePath, 0o600);
      // The one-time token is spent: remove it from disk.
      await writeFile(opts.configPath, JSON.stringify({ ...cfg, token: '' }), { mode: 0o600 }).catch(() => {});
      log(`enrolled as agent ${state.agentId}`);
      return state;
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      const delay = backoff(attempt);
      log(`${(err as Error).message}; retrying in ${Math.round(delay)} ms`);
      await sleep(delay);
    }
  }
}

/** agent.env with seed 000's names, 0600. */
async function writeEnv(dir: string, env: Record<string, string>): Promise<void> {
  const p = join(dir, 'agent.env');
  await writeFile(p, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  await chmod(p, 0o600);
}

/** Forward the install script's log (cloud-init/SSH bootstrap) once, so it shows as events. */
async function forwardBootstrapLog(log: (l: string) => void): Promise<void> {
  const path = process.env.HANGAR_BOOTSTRAP_LOG ?? '/var/log/hangar-bootstrap.log';
  if (!existsSync(path)) return;
  const lines = (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean).slice(-200);
  for (const l of lines) log(l);
}
