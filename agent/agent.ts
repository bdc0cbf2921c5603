import { appendFile, chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { BootstrapConfig, Enrollment } from '../src/domain/agent-contract.ts';
import { CLOSE_RATE_LIMITED, CLOSE_REVOKED, CLOSE_UNAUTHORIZED, RATE_LIMITED_PAUSE_MS, type AgentMessage, type HubMessage } from '../src/hub/protocol.ts';
import { joinTailnet } from './join-tailnet.ts';
import { parseTailscaleStatus, runArgv, runOp, which, type OpsContext } from './ops.ts';
import { RESTART_EXIT_CODE, takeOutcomes, UPDATE_EXIT_CODE, writeStatus } from './release-files.ts';
import { EnrollSecrets, enrollOnce } from './enroll.ts';
import { frameOf, Outbox, OUTBOX } from './outbox.ts';
import { StreamHost } from './streams.ts';
import { checkForUpdate } from './update.ts';
import { ActivitySampler } from './activity.ts';
import { Workload } from './workload.ts';

declare const __HANGAR_AGENT_VERSION__: string | undefined;
/** This build's version: set by the release build (esbuild define), else the development version. */
export const AGENT_VERSION = typeof __HANGAR_AGENT_VERSION__ === 'string' ? __HANGAR_AGENT_VERSION__ : '0.1.0';

/** The enrollment answer as kept in state.json (the tailnet key is blanked once used). */
interface AgentState extends Omit<Enrollment, 'tailscale'> {
  tailscale?: Enrollment['tailscale'];
  /** Set by enrollment when the instance's config has `exec: true`. */
  execEnabled?: boolean;
  /** Set once `tailscale up` succeeded, so a restarted agent does not join again. */
  tailnetJoined?: boolean;
}

/** Jittered exponential backoff: 0.5 s doubling to 30 s, each delay ×[0.5, 1.5). */
export function backoff(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runAgent(opts: { configPath: string; stateDir: string }): Promise<void> {
  const logPath = join(opts.stateDir, 'agent.log');
  // Frames for the hub, within its limits: logs are batched and paced, the backlog is bounded.
  const outbox = new Outbox();
  const log = (line: string, source: 'bootstrap' | 'agent' | 'workload' = 'agent') => {
    const stamped = `${new Date().toISOString()} [${source}] ${line}`;
    void appendFile(logPath, `${stamped}\n`, { mode: 0o600 }).catch(() => {});
    outbox.log(source, line);
  };

  const state = await loadOrEnroll(opts, (l) => log(l, 'bootstrap'));
  await writeEnv(opts.stateDir, state.env);
  log(`agent ${state.agentId} for ${state.serverName} (v${AGENT_VERSION})`, 'bootstrap');
  await forwardBootstrapLog((l) => log(l, 'bootstrap'));
  const tailnetName = await joinTailnet(opts.stateDir, state, (l) => log(l, 'bootstrap'));

  let workload = new Workload(state.workload, (l) => log(l, 'workload'));
  const activity = new ActivitySampler(() => workload);
  let ws: WebSocket | null = null;
  let workloadStarted = false;
  let lastHealthy: boolean | null = null;
  let lastHealth: { healthy: boolean | null; detail: string | null; at: number | null } = { healthy: null, detail: null, at: null };
  let restarting = false;
  let exiting = false;
  let execEnabled = state.execEnabled === true;
  let connectedSince: number | null = null;
  let reconnects = 0;
  const started = Date.now();
  // Shells and forwarded ports the hub opens on this socket (streams.ts).
  const streams = new StreamHost({ execEnabled: () => execEnabled, log: (l) => log(l) });

  const sendNow = (m: AgentMessage) => {
    const text = frameOf(m);
    if (text) ws!.send(text);
  };
  const send = (m: AgentMessage) => {
    if (ws?.readyState === WebSocket.OPEN) sendNow(m);
    else outbox.push(m);
  };
  /** Send what waits (on connect, before exit): within the hub's log burst, the rest stays. */
  const flush = () => {
    if (ws?.readyState === WebSocket.OPEN) for (const m of outbox.take(OUTBOX.maxLogFrames)) sendNow(m);
  };

  const shutdown = async (code: number) => {
    exiting = true;
    await workload.stop();
    ws?.close(1000);
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));

  /** Stop the workload, say goodbye on the socket and exit with `code` for the supervisor to act on. */
  const exitForSupervisor = (code: number, why: string) => {
    exiting = true;
    flush();
    void workload.stop().finally(() => {
      flush();
      ws?.close(1000, why);
      setTimeout(() => process.exit(code), 200);
    });
  };

  const startWorkload = async () => {
    // A warm pool's member: booted and connected, nothing to run until a create claims it.
    if (workloadStarted || state.workload.idle) return;
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
  const startedAt = Date.now();
  const probe = async () => {
    if (!workloadStarted || exiting || restarting) return;
    const { healthy, detail } = await workload.check();
    if (restarting) return;
    lastHealth = { healthy, detail, at: Date.now() };
    // A workload still starting is not "unhealthy": say so only after it was healthy once, or
    // after a grace period (then the control plane sees why it never became ready).
    if (!healthy && lastHealthy === null && Date.now() - startedAt < STARTUP_GRACE_MS) return;
    if (healthy !== lastHealthy) {
      lastHealthy = healthy;
      send({ type: 'health', healthy, detail });
      status();
    }
  };
  (async () => {
    for (;;) {
      await sleep(lastHealthy ? state.heartbeatSeconds * 1000 : 250);
      await probe().catch(() => {});
    }
  })();

  const onCommand = async (m: Extract<HubMessage, { type: 'command' }>) => {
    if (m.name === 'configure') {
      // Claimed from a warm pool: fetch the workload (secrets included) over HTTPS with our key, then run it.
      try {
        const res = await fetch(`${state.env.API_URL}/v1/agents/workload`, { headers: { authorization: `Bearer ${state.agentId}:${state.agentKey}` }, signal: AbortSignal.timeout(30_000) });
        if (!res.ok) throw new Error(`GET /v1/agents/workload answered ${res.status}`);
        const plan = (await res.json()) as Enrollment['workload'];
        await workload.stop();
        state.workload = plan;
        await writeFile(join(opts.stateDir, 'state.json'), JSON.stringify(state), { mode: 0o600 });
        workload = new Workload(plan, (l) => log(l, 'workload'));
        ops.plan = plan;
        ops.workload = workload;
        workloadStarted = false;
        lastHealthy = null;
        log(`configured for ${plan.kind} by the control plane`);
        send({ type: 'result', id: m.id, ok: true });
        void startWorkload();
      } catch (err) {
        log(`configure failed: ${(err as Error).message}`);
        send({ type: 'result', id: m.id, ok: false, error: (err as Error).message });
      }
      return;
    }
    if (m.name === 'shutdown') {
      log('shutdown requested by control plane');
      await workload.stop();
      send({ type: 'result', id: m.id, ok: true });
      flush();
      setTimeout(() => process.exit(0), 200);
      exiting = true;
      return;
    }
    if (m.name === 'update') {
      const u = await update();
      send({ type: 'result', id: m.id, ok: true, data: u });
      return;
    }
    const r = await runOp(ops, m.name, m.args ?? {});
    if (m.name === 'restart' && r.ok) {
      // Report the restarted workload's health at once.
      const d = r.data as { healthy?: boolean; detail?: string } | undefined;
      if (typeof d?.healthy === 'boolean') {
        lastHealth = { healthy: d.healthy, detail: d.detail ?? null, at: Date.now() };
        if (d.healthy !== lastHealthy) {
          lastHealthy = d.healthy;
          send({ type: 'health', healthy: d.healthy, detail: d.detail });
        }
      }
    }
    send({ type: 'result', id: m.id, ok: r.ok, data: r.data, error: r.error });
  };
  const ops: OpsContext = {
    version: AGENT_VERSION,
    stateDir: opts.stateDir,
    configPath: opts.configPath,
    logPath,
    plan: state.workload,
    workload,
    startedAt: started,
    hubUrl: state.hubUrl,
    connection: () => ({ connected: ws?.readyState === WebSocket.OPEN, since: connectedSince, reconnects }),
    lastHealth: () => lastHealth,
    tailnetName: () => tailnetName,
    execEnabled: () => execEnabled,
    setRestarting: (on) => {
      restarting = on;
    },
    log: (l) => log(l),
    exitForRestart: () => exitForSupervisor(RESTART_EXIT_CODE, 'restarting'),
  };

  // What the supervisor judges a release on: our version, the hub connection, workload health.
  const status = () =>
    void writeStatus(opts.stateDir, {
      pid: process.pid,
      version: AGENT_VERSION,
      connected: ws?.readyState === WebSocket.OPEN,
      workloadHealthy: lastHealthy,
      detail: lastHealth.detail,
      health: workloadStarted ? workload.health : null,
      at: Date.now(),
    }).catch(() => {});
  // Decisions the supervisor took (release committed, rolled back, refused) become events.
  const reportOutcomes = async () => {
    for (const o of await takeOutcomes(opts.stateDir)) send({ type: 'update', phase: o.phase, version: o.version, from: o.from, detail: o.detail });
  };
  setInterval(() => {
    status();
    void reportOutcomes().catch(() => {});
  }, Math.min(state.heartbeatSeconds * 1000, 5000)).unref();

  // Self-update: ask for an approved release on a timer (and when the control plane says so).
  let updating = false;
  const update = async (): Promise<{ staged: boolean; detail: string }> => {
    if (updating || exiting) return { staged: false, detail: 'an update is already in progress' };
    updating = true;
    try {
      const r = await checkForUpdate({
        stateDir: opts.stateDir,
        apiUrl: state.env.API_URL,
        authorization: `Bearer ${state.agentId}:${state.agentKey}`,
        version: AGENT_VERSION,
        keys: state.releaseKeys ?? [],
        trialSeconds: state.updateTrialSeconds ?? 120,
        supervised: Boolean(process.env.HANGAR_SUPERVISOR_PID),
        report: (u) => send({ type: 'update', ...u }),
        log: (l) => log(l),
      });
      if (!r.staged) return { staged: false, detail: r.detail };
      log(`switching to agent ${r.staged.version}: stopping the workload and handing over to the supervisor`);
      send({ type: 'update', phase: 'switching', version: r.staged.version, from: AGENT_VERSION, detail: 'stopping the workload; the supervisor starts the new release on trial' });
      setTimeout(() => exitForSupervisor(UPDATE_EXIT_CODE, 'updating'), 200);
      return { staged: true, detail: r.detail };
    } catch (err) {
      log(`update check failed: ${(err as Error).message}`);
      return { staged: false, detail: `update check failed: ${(err as Error).message}` };
    } finally {
      updating = false;
    }
  };
  const every = (state.updateCheckSeconds ?? 900) * 1000;
  const scheduleUpdate = () => setTimeout(() => void update().finally(scheduleUpdate), every * (0.8 + 0.4 * Math.random())).unref();
  scheduleUpdate();

  // Under a supervisor: if it dies (SIGKILL), stop too rather than run unsupervised.
  const parent = Number(process.env.HANGAR_SUPERVISOR_PID);
  if (parent) setInterval(() => process.ppid !== parent && void shutdown(0), 1000).unref();

  for (let attempt = 0; !exiting; ) {
    const outcome = await new Promise<'closed' | 'revoked' | 'throttled'>((resolve) => {
      const sock = new WebSocket(state.hubUrl, { headers: { authorization: `Bearer ${state.agentId}:${state.agentKey}` }, handshakeTimeout: 10_000 });
      ws = sock;
      let beat: NodeJS.Timeout | null = null;
      sock.on('open', () => {
        attempt = 0;
        if (connectedSince !== null) reconnects++;
        connectedSince = Date.now();
        streams.attach((f) => sock.readyState === WebSocket.OPEN && sock.send(f));
        sock.send(JSON.stringify({ type: 'hello', version: AGENT_VERSION, uptimeSeconds: Math.round((Date.now() - started) / 1000), workloadHealthy: lastHealthy, hostname: hostname(), ...(tailnetName ? { tailnetName } : {}) } satisfies AgentMessage));
        if (lastHealthy !== null) sock.send(JSON.stringify({ type: 'health', healthy: lastHealthy } satisfies AgentMessage));
        flush();
        // With the workload's activity since the last beat (CPU, connections, network): idle stop judges it.
        beat = setInterval(() => void activity.sample().then((a) => send({ type: 'heartbeat', workloadHealthy: lastHealthy, uptimeSeconds: Math.round((Date.now() - started) / 1000), ...(a ? { activity: a } : {}) })), state.heartbeatSeconds * 1000);
        status();
        void reportOutcomes().catch(() => {});
        void startWorkload();
      });
      sock.on('message', (raw, isBinary) => {
        if (isBinary) return streams.onBinary(raw as Buffer);
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
        if (m.type === 'welcome' && typeof m.execEnabled === 'boolean') execEnabled = state.execEnabled === true || m.execEnabled;
        if (m.type === 'command') void onCommand(m);
        else if (m.type.startsWith('stream-')) streams.onControl(m as Extract<HubMessage, { type: `stream-${string}` }>);
      });
      sock.on('unexpected-response', (_req, res) => {
        log(`hub refused connection: HTTP ${res.statusCode}`);
        resolve(res.statusCode === 401 || res.statusCode === 403 ? 'revoked' : 'closed');
      });
      sock.on('close', (code) => {
        if (beat) clearInterval(beat);
        streams.detach();
        status();
        resolve(code === CLOSE_REVOKED || code === CLOSE_UNAUTHORIZED ? 'revoked' : code === CLOSE_RATE_LIMITED ? 'throttled' : 'closed');
      });
      sock.on('error', () => {});
    });
    if (exiting) break;
    if (outcome === 'revoked') {
      log('agent key revoked: instance was destroyed; stopping');
      await shutdown(0);
      return;
    }
    // Closed for sending too fast: pause longer than a plain backoff before dialing again.
    const delay = outcome === 'throttled' ? RATE_LIMITED_PAUSE_MS + backoff(attempt++) : backoff(attempt++);
    log(`hub connection ${outcome === 'throttled' ? 'closed: rate limited' : 'lost'}; reconnecting in ${Math.round(delay)} ms`);
    await sleep(delay);
  }
}

/** How long a starting workload may fail its health check before it is reported unhealthy. */
const STARTUP_GRACE_MS = 5_000;

async function loadOrEnroll(opts: { configPath: string; stateDir: string }, log: (l: string) => void): Promise<AgentState> {
  const statePath = join(opts.stateDir, 'state.json');
  if (existsSync(statePath)) return JSON.parse(await readFile(statePath, 'utf8')) as AgentState;
  const cfg = JSON.parse(await readFile(opts.configPath, 'utf8')) as BootstrapConfig;
  log(`enrolling with ${cfg.apiUrl} as ${cfg.serverName}`);
  // Secrets kept across restarts: if an enrollment response is lost, the retry proves it is us.
  const secrets = await EnrollSecrets.load(opts.stateDir);
  for (let attempt = 0; ; attempt++) {
    const r = await enrollOnce<AgentState>(cfg, secrets, AGENT_VERSION);
    if (r.ok) {
      const state = r.state;
      await writeFile(statePath, JSON.stringify(state), { mode: 0o600 });
      await chmod(statePath, 0o600);
      // The one-time token is spent and the secrets are worth nothing now: remove them from disk.
      await writeFile(opts.configPath, JSON.stringify({ ...cfg, token: '' }), { mode: 0o600 }).catch(() => {});
      await secrets.remove().catch(() => {});
      log(`enrolled as agent ${state.agentId}`);
      return state;
    }
    if (r.fatal) throw new Error(r.message);
    // A refused proof: the next older secret goes at once (at most MAX_SECRETS of them).
    if (r.now) {
      log(`${r.message}; trying an older secret`);
      continue;
    }
    const delay = backoff(attempt);
    log(`${r.message}; retrying in ${Math.round(delay)} ms`);
    await sleep(delay);
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
