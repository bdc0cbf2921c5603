import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Engine } from '../engine/engine.ts';
import { isActivity } from '../domain/lifetimes.ts';
import type { AgentChannel } from '../engine/ports.ts';
import { agentByAuthorization } from './agent-auth.ts';
import { AgentGates, type FrameGate } from './gate.ts';
import { HUB_MAX_FRAME_BYTES, HUB_RETRY_AFTER_SECONDS, hubLimitsFromEnv, type HubLimits } from './limits.ts';
import { AgentMessage, logText, logTime } from './messages.ts';
import { CLOSE_RATE_LIMITED, type HubMessage } from './protocol.ts';
import { Answers, CommandRelay, type CommandName, type CommandResult, type Relay } from './relay.ts';
import { AgentStreams, isStreamText } from './streams.ts';
import { isHubPath, refuseUpgrade } from './upgrade.ts';
import { HangarError } from '../domain/errors.ts';
import type { StreamChannel, StreamTarget } from '../domain/stream-channel.ts';

export { HUB_PATH } from './upgrade.ts';

interface Conn {
  ws: WebSocket;
  instanceId: string;
  agentId: string;
  /** Commands sent on this socket and not answered yet: they fail at once when it closes. */
  pending: Set<string>;
  /** The server id the agent was last told (it may enroll before the provider's create call returns). */
  serverId?: string | null;
  /** Its agent's frame budget (rates, queue depth, frames dropped), shared with its other sockets. */
  gate: FrameGate;
  /** `gate.dropped` when this socket opened. */
  droppedBefore: number;
  /** Closed for flooding: frames still in flight are ignored. */
  flooded?: boolean;
  /** Shells, forwarded ports and proxied requests on this socket (streams.ts). */
  streams: AgentStreams;
}

/**
 * The agent hub: authenticates agents on the WebSocket upgrade, records connection and
 * heartbeats, turns agent progress into engine steps, and sends commands to agents. It is the
 * engine's {@link AgentChannel} (server.ts attaches it with `engine.setAgentChannel(hub)`).
 */
export class Hub implements AgentChannel {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: HUB_MAX_FRAME_BYTES });
  private readonly conns = new Map<string, Conn>();
  private readonly gates = new AgentGates();
  /** Upgrades being authenticated now. */
  private upgrading = 0;
  /** The HTTP server the hub is attached to. */
  httpServer: Server | null = null;
  /** Where upgrades for other paths go (the API's WebSocket routes); without one they get 404. */
  otherUpgrades: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null = null;
  private readonly answers = new Answers();
  private relay: CommandRelay | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly log: Logger,
    private readonly replicaId: string,
    /** Connection caps (see limits.ts); mutable so an operator or a test can change them live. */
    readonly limits: HubLimits = hubLimitsFromEnv(process.env),
  ) {}

  /** Ask a connected agent (wherever its socket is) to stop its workload and exit; true when it acknowledged. */
  async shutdown(instanceId: string): Promise<boolean> {
    // The agent answers once its workload stopped (SIGTERM, SIGKILL after 5 s): give it that and more on a busy host.
    return (await this.command(instanceId, 'shutdown', {}, 15_000))?.ok ?? false;
  }

  /** Tell a warm-pool agent (wherever its socket is) to fetch its workload and run it; true when it acknowledged. */
  async configure(instanceId: string): Promise<{ ok: boolean; error?: string }> {
    const r = await this.command(instanceId, 'configure', {}, 40_000);
    return r ? { ok: r.ok, ...(r.error ? { error: r.error } : {}) } : { ok: false, error: 'no answer from the agent' };
  }

  get connected(): number {
    return this.conns.size;
  }

  attach(server: Server): void {
    this.httpServer = server;
    server.on('upgrade', (req, socket, head) => {
      // Every upgrade is answered: one left unanswered would hold its socket forever.
      socket.on('error', () => socket.destroy());
      if (!isHubPath(req.url)) return this.otherUpgrades ? this.otherUpgrades(req, socket, head) : refuseUpgrade(socket, 404);
      void this.upgrade(req, socket, head).catch((err) => {
        this.log.warn({ err }, 'hub: upgrade failed');
        refuseUpgrade(socket, 503);
      });
    });
    const hb = this.engine.heartbeatSeconds;
    this.sweeper = setInterval(() => void this.sweep().catch((e) => this.log.warn({ err: e }, 'heartbeat sweep failed')), hb * 1000);
    this.sweeper.unref();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const busy = () => refuseUpgrade(socket, 503, { 'Retry-After': String(HUB_RETRY_AFTER_SECONDS) });
    const full = () => this.wss.clients.size + this.upgrading >= this.limits.maxConnections;
    if (this.upgrading >= this.limits.maxPendingUpgrades || full()) return busy();
    this.upgrading++;
    let row;
    try {
      row = await agentByAuthorization(this.engine.store, req.headers.authorization);
    } catch (err) {
      this.log.warn({ err }, 'hub: lookup failed');
      return busy();
    } finally {
      this.upgrading--;
    }
    if (!row) return refuseUpgrade(socket, 401);
    if (full()) return busy();
    if (socket.destroyed) return;
    const agentId = row.agentId!;
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, row.id, agentId));
  }

  private async accept(ws: WebSocket, instanceId: string, agentId: string): Promise<void> {
    const prev = this.conns.get(instanceId);
    if (prev) prev.ws.close(1000, 'replaced by a newer connection');
    const gate = this.gates.open(instanceId);
    const conn: Conn = { ws, instanceId, agentId, pending: new Set(), gate, droppedBefore: gate.dropped, streams: new AgentStreams((f) => ws.readyState === ws.OPEN && ws.send(f)) };
    this.conns.set(instanceId, conn);
    const store = this.engine.store;
    // One message at a time per agent, in order: progress, health and results must not race.
    let queue = Promise.resolve();
    ws.on('message', (raw, isBinary) => {
      const m = this.admit(conn, raw as Buffer, isBinary);
      if (!m) return;
      conn.gate.queued++;
      queue = queue
        .then(() => this.onMessage(conn, m))
        .catch((err) => this.log.warn({ err, instanceId }, 'hub: message failed'))
        .finally(() => conn.gate.queued--);
    });
    ws.on('close', () => {
      conn.streams.close('the agent disconnected');
      // Unanswered commands fail now, but only after the messages already received are handled:
      // an answer sent just before the agent exited must still count.
      queue = queue.then(() => {
        for (const id of conn.pending) this.answers.settle(id, null);
        conn.pending.clear();
      });
      this.gates.close(instanceId);
      const dropped = conn.gate.dropped - conn.droppedBefore;
      if (dropped > 0) {
        const reason = `${dropped} agent frames dropped by the hub's rate limits${conn.flooded ? '; connection closed for flooding' : ''}`;
        void store.event(instanceId, { actor: 'hub', kind: 'warning', reason, data: { dropped, closed: conn.flooded === true } }).catch((err) => this.log.warn({ err, instanceId }, 'hub: drop record failed'));
      }
      if (this.conns.get(instanceId) !== conn) return;
      this.conns.delete(instanceId);
      void store
        .connection(instanceId, { type: 'disconnect' }, { actor: 'hub', reason: 'agent connection closed' }, { hubReplica: null })
        .catch((err) => this.log.warn({ err, instanceId }, 'hub: disconnect record failed'));
    });
    ws.on('error', () => {});
    const row = await store.connection(instanceId, { type: 'connect' }, { actor: 'hub', reason: `agent ${agentId} connected to ${this.replicaId}` }, { lastHeartbeatAt: new Date(), hubReplica: this.replicaId });
    const cur = row ?? (await store.get(instanceId));
    if (cur.status === 'stopping' || cur.status === 'stopped') {
      // The instance is going away: tell the agent to stop.
      this.send(instanceId, { type: 'command', id: randomUUID(), name: 'shutdown' });
      return;
    }
    this.welcome(conn, cur);
  }

  /**
   * A frame within the limits (limits.ts), parsed; null when dropped (over a rate, queued too
   * deep, binary or invalid). An agent that keeps sending dropped frames is closed with 4429.
   */
  private admit(conn: Conn, raw: Buffer, isBinary: boolean): AgentMessage | null {
    if (conn.flooded) return null;
    // Stream frames (data, `stream-*` control) have a budget of their own: the rate gate is for the rest.
    if (isBinary || isStreamText(raw)) {
      if (!(isBinary ? conn.streams.onBinary(raw) : conn.streams.onText(raw))) this.dropFrame(conn, 'stream frame for no open stream, invalid or over the stream rate');
      return null;
    }
    return this.admitMessage(conn, raw);
  }

  private dropFrame(conn: Conn, why: string): null {
    if (conn.gate.dropped === conn.droppedBefore) this.log.warn({ instanceId: conn.instanceId, why }, 'hub: dropping agent frames');
    if (conn.gate.drop()) {
      conn.flooded = true;
      this.log.warn({ instanceId: conn.instanceId, dropped: conn.gate.dropped }, 'hub: closing a flooding agent');
      conn.ws.close(CLOSE_RATE_LIMITED, 'rate limited');
    }
    return null;
  }

  private admitMessage(conn: Conn, raw: Buffer): AgentMessage | null {
    const drop = (why: string): null => this.dropFrame(conn, why);
    if (!conn.gate.admit()) return drop('rate');
    let parsed;
    try {
      parsed = AgentMessage.safeParse(JSON.parse(raw.toString()));
    } catch {
      return drop('not JSON');
    }
    if (!parsed.success) return drop('invalid frame');
    if (parsed.data.type === 'log' && !conn.gate.admitLog()) return drop('log rate');
    return parsed.data;
  }

  private async onMessage(conn: Conn, m: AgentMessage): Promise<void> {
    const id = conn.instanceId;
    const store = this.engine.store;
    switch (m.type) {
      case 'hello':
        await store.update(id, { lastHeartbeatAt: new Date(), agentVersion: m.version, ...(m.tailnetName ? { tailnetName: m.tailnetName } : {}) });
        return;
      case 'heartbeat': {
        const now = new Date();
        // Activity per workload (CPU, connections, sessions): idle stop counts from the last active report.
        const row = await store.update(id, { lastHeartbeatAt: now, ...(m.activity ? { activity: m.activity, ...(isActivity(m.activity) ? { lastActiveAt: now } : {}) } : {}) });
        // The server id was recorded after the agent connected (SSH, slow create responses): tell it.
        if (row.serverId && row.serverId !== conn.serverId) this.welcome(conn, row);
        // A heartbeat after a sweep marked us disconnected brings the instance back.
        await store.connection(id, { type: 'connect' }, { actor: 'hub', reason: 'heartbeat resumed' });
        return;
      }
      case 'progress':
        await this.engine.advance(id, m.step, m.detail ? `${m.step}: ${m.detail}` : m.step);
        return;
      case 'health':
        await this.engine.workloadHealthy(id, m.healthy, m.detail);
        return;
      case 'log': {
        const { reason, omitted } = logText(m.lines);
        await store.event(id, { actor: 'agent', kind: 'log', reason, at: logTime(m.at), data: { source: m.source, lines: m.lines.length, ...(omitted ? { omitted } : {}) } });
        return;
      }
      case 'update':
        await store.event(id, { actor: 'agent', kind: m.phase === 'rolled-back' || m.phase === 'refused' ? 'warning' : 'info', reason: updateReason(m), data: { update: m.phase, version: m.version, from: m.from ?? null } });
        return;
      case 'result':
        this.answers.settle(m.id, { ok: m.ok, data: m.data, error: m.error });
        return;
    }
  }

  /** Tell the agent who it is: its server id, heartbeat interval, whether exec is allowed. */
  private welcome(conn: Conn, row: { serverId: string | null; workloadConfig: { exec?: unknown } | null }): void {
    conn.serverId = row.serverId;
    this.send(conn.instanceId, { type: 'welcome', instanceId: conn.instanceId, serverId: row.serverId, heartbeatSeconds: this.engine.heartbeatSeconds, execEnabled: row.workloadConfig?.exec === true });
  }

  private send(instanceId: string, m: HubMessage): boolean {
    const c = this.conns.get(instanceId);
    if (!c || c.ws.readyState !== c.ws.OPEN) return false;
    c.ws.send(JSON.stringify(m));
    return true;
  }

  /**
   * With several replicas on one PostgreSQL: commands for an agent whose socket another replica
   * holds travel by NOTIFY to that replica (relay.ts), and its result comes back the same way.
   */
  async startRelay(relay: Relay): Promise<void> {
    this.relay = new CommandRelay(relay, this.replicaId, this.answers, (id, name, args, timeoutMs) => this.localCommand(id, name, args, timeoutMs), this.log);
    await this.relay.start();
  }

  /** Send a command to the agent wherever its socket is; null when it is not reachable. */
  async command(instanceId: string, name: CommandName, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<CommandResult | null> {
    if (this.conns.has(instanceId) || !this.relay) return this.localCommand(instanceId, name, args, timeoutMs);
    const row = await this.engine.store.find(instanceId);
    if (!row?.hubReplica || row.hubReplica === this.replicaId || row.connection !== 'connected') return null;
    return this.relay.send(row.hubReplica, instanceId, name, args, timeoutMs);
  }

  /** Send a command to the agent if its socket is on this replica; null when not reachable. */
  private async localCommand(instanceId: string, name: CommandName, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<CommandResult | null> {
    const id = randomUUID();
    const result = this.answers.wait(id, timeoutMs);
    const conn = this.conns.get(instanceId);
    if (!conn || !this.send(instanceId, { type: 'command', id, name, args })) {
      this.answers.cancel(id);
      return null;
    }
    conn.pending.add(id);
    return result.finally(() => conn.pending.delete(id));
  }

  /**
   * Open a stream (a shell's PTY, a loopback TCP port) on an instance's agent, multiplexed on its
   * socket. The agent's socket must be on this replica: streams are not relayed between replicas
   * (commands are; a stream's bytes would need a socket of their own), so an agent held by
   * another replica is refused with a 409 that names it.
   */
  async openStream(instanceId: string, target: StreamTarget): Promise<StreamChannel> {
    const conn = this.conns.get(instanceId);
    if (conn) return conn.streams.open(target);
    const row = await this.engine.store.find(instanceId);
    if (row?.connection === 'connected' && row.hubReplica && row.hubReplica !== this.replicaId) {
      throw new HangarError('agent-on-other-replica', `the agent of ${instanceId} is connected to replica ${row.hubReplica}, and shells, port-forwards and the proxy are not relayed between replicas: send this request to that replica (or run one replica)`, 409);
    }
    throw new HangarError('agent-not-connected', `the agent of ${instanceId} is not connected (connection ${row?.connection ?? 'unknown'}); wait until hangar get ${instanceId} shows it connected`, 409);
  }

  /** Mark agents whose heartbeats stopped (two intervals) as disconnected, wherever they were. */
  async sweep(): Promise<void> {
    const hb = this.engine.heartbeatSeconds;
    const cutoff = Date.now() - 2 * hb * 1000;
    for (const row of await this.engine.store.byConnection('connected')) {
      if (row.lastHeartbeatAt && row.lastHeartbeatAt.getTime() < cutoff) {
        await this.engine.store.connection(row.id, { type: 'disconnect' }, { actor: 'hub', reason: `no heartbeat for ${Math.round((Date.now() - row.lastHeartbeatAt.getTime()) / 1000)}s` });
        const c = this.conns.get(row.id);
        if (c) c.ws.terminate();
      }
    }
  }

  async close(): Promise<void> {
    await this.relay?.stop().catch(() => {});
    if (this.sweeper) clearInterval(this.sweeper);
    for (const c of this.conns.values()) c.ws.terminate();
    this.conns.clear();
    this.gates.clear();
    this.wss.close();
  }
}

/** The event text for an agent's self-update step. */
function updateReason(m: Extract<AgentMessage, { type: 'update' }>): string {
  const what = `agent update ${m.from ? `${m.from} → ` : 'to '}${m.version}`;
  const verb = { available: 'offered', downloaded: 'downloaded and verified', refused: 'refused', switching: 'switching', committed: 'healthy: committed', 'rolled-back': 'rolled back' }[m.phase];
  return m.detail ? `${what}: ${verb}: ${m.detail}` : `${what}: ${verb}`;
}
