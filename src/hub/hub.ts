import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Engine } from '../engine/engine.ts';
import { AgentMessage } from './messages.ts';
import { CLOSE_REVOKED, type HubMessage } from './protocol.ts';

export const HUB_PATH = '/v1/agents/connect';

interface Conn {
  ws: WebSocket;
  instanceId: string;
  agentId: string;
  /** Commands sent on this socket and not answered yet: they fail at once when it closes. */
  pending: Set<string>;
  /** The server id the agent was last told (it may enroll before the provider's create call returns). */
  serverId?: string | null;
}

type CommandName = Extract<HubMessage, { type: 'command' }>['name'];
export interface CommandResult {
  ok: boolean;
  data?: unknown;
  error?: string;
}
/** LISTEN/NOTIFY on the shared PostgreSQL (the Database's own methods). */
export interface Relay {
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
}
interface RelayedCommand {
  id: string;
  to: string;
  from: string;
  instanceId: string;
  name: CommandName;
  args: Record<string, unknown>;
  timeoutMs: number;
}
interface RelayedResult {
  id: string;
  to: string;
  result: CommandResult | null;
}
const COMMANDS_CHANNEL = 'hangar_commands';
const RESULTS_CHANNEL = 'hangar_command_results';

/**
 * The agent hub: authenticates agents on the WebSocket upgrade, records connection and
 * heartbeats, turns agent progress into engine steps, and sends commands to agents.
 */
export class Hub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  private readonly conns = new Map<string, Conn>();
  private readonly waiting = new Map<string, (r: CommandResult | null) => void>();
  private relay: Relay | null = null;
  private unrelay: (() => Promise<void>) | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly log: Logger,
    private readonly replicaId: string,
  ) {
    // The agent answers once its workload stopped (SIGTERM, SIGKILL after 5 s): give it that and more on a busy host.
    engine.shutdownAgent = async (id) => (await this.command(id, 'shutdown', {}, 15_000))?.ok ?? false;
  }

  get connected(): number {
    return this.conns.size;
  }

  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith(HUB_PATH)) return;
      void this.upgrade(req, socket, head);
    });
    const hb = this.engine.deps.heartbeatSeconds;
    this.sweeper = setInterval(() => void this.sweep().catch((e) => this.log.warn({ err: e }, 'heartbeat sweep failed')), hb * 1000);
    this.sweeper.unref();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const reject = (status: number, msg: string) => {
      socket.write(`HTTP/1.1 ${status} ${msg}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    let row;
    try {
      row = await this.engine.agentByAuthorization(req.headers.authorization);
    } catch (err) {
      this.log.warn({ err }, 'hub: lookup failed');
      return reject(503, 'Service Unavailable');
    }
    if (!row) return reject(401, 'Unauthorized');
    const agentId = row.agentId!;
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, row.id, agentId));
  }

  private async accept(ws: WebSocket, instanceId: string, agentId: string): Promise<void> {
    const prev = this.conns.get(instanceId);
    if (prev) prev.ws.close(1000, 'replaced by a newer connection');
    const conn: Conn = { ws, instanceId, agentId, pending: new Set() };
    this.conns.set(instanceId, conn);
    const store = this.engine.store;
    // One message at a time per agent, in order: progress, health and results must not race.
    let queue = Promise.resolve();
    ws.on('message', (raw) => {
      const text = raw.toString();
      queue = queue.then(() => this.onMessage(conn, text)).catch((err) => this.log.warn({ err, instanceId }, 'hub: message failed'));
    });
    ws.on('close', () => {
      // Unanswered commands fail now, but only after the messages already received are handled:
      // an answer sent just before the agent exited must still count.
      queue = queue.then(() => {
        for (const id of conn.pending) {
          const w = this.waiting.get(id);
          if (w && this.waiting.delete(id)) w(null);
        }
        conn.pending.clear();
      });
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

  private async onMessage(conn: Conn, text: string): Promise<void> {
    let parsed;
    try {
      parsed = AgentMessage.safeParse(JSON.parse(text));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const m = parsed.data;
    const id = conn.instanceId;
    const store = this.engine.store;
    switch (m.type) {
      case 'hello':
        await store.update(id, { lastHeartbeatAt: new Date(), agentVersion: m.version, ...(m.tailnetName ? { tailnetName: m.tailnetName } : {}) });
        return;
      case 'heartbeat': {
        const row = await store.update(id, { lastHeartbeatAt: new Date() });
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
      case 'log':
        await store.event(id, { actor: 'agent', kind: 'log', reason: m.lines.join('\n'), data: { source: m.source, lines: m.lines.length } });
        return;
      case 'update':
        await store.event(id, { actor: 'agent', kind: m.phase === 'rolled-back' || m.phase === 'refused' ? 'warning' : 'info', reason: updateReason(m), data: { update: m.phase, version: m.version, from: m.from ?? null } });
        return;
      case 'result': {
        const resolve = this.waiting.get(m.id);
        if (resolve) {
          this.waiting.delete(m.id);
          resolve({ ok: m.ok, data: m.data, error: m.error });
        }
        return;
      }
    }
  }

  /** Tell the agent who it is: its server id, heartbeat interval, whether exec is allowed. */
  private welcome(conn: Conn, row: { serverId: string | null; workloadConfig: { exec?: unknown } | null }): void {
    conn.serverId = row.serverId;
    this.send(conn.instanceId, { type: 'welcome', instanceId: conn.instanceId, serverId: row.serverId, heartbeatSeconds: this.engine.deps.heartbeatSeconds, execEnabled: row.workloadConfig?.exec === true });
  }

  private send(instanceId: string, m: HubMessage): boolean {
    const c = this.conns.get(instanceId);
    if (!c || c.ws.readyState !== c.ws.OPEN) return false;
    c.ws.send(JSON.stringify(m));
    return true;
  }

  /**
   * With several replicas on one PostgreSQL: commands for an agent whose socket another replica
   * holds travel by NOTIFY to that replica, and its result comes back the same way.
   */
  async startRelay(relay: Relay): Promise<void> {
    this.relay = relay;
    const unlistenCmd = await relay.listen(COMMANDS_CHANNEL, (payload) => {
      const m = JSON.parse(payload) as RelayedCommand;
      if (m.to !== this.replicaId) return;
      void this.localCommand(m.instanceId, m.name, m.args, m.timeoutMs).then((result) =>
        relay.notify(RESULTS_CHANNEL, JSON.stringify({ id: m.id, to: m.from, result } satisfies RelayedResult)).catch((err) => this.log.warn({ err }, 'hub: relaying a result failed')),
      );
    });
    const unlistenRes = await relay.listen(RESULTS_CHANNEL, (payload) => {
      const m = JSON.parse(payload) as RelayedResult;
      if (m.to !== this.replicaId) return;
      const w = this.waiting.get(m.id);
      if (w && this.waiting.delete(m.id)) w(m.result ?? { ok: false, error: 'agent not connected there' });
    });
    this.unrelay = async () => {
      await unlistenCmd();
      await unlistenRes();
    };
  }

  /** Send a command to the agent wherever its socket is; null when it is not reachable. */
  async command(instanceId: string, name: CommandName, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<CommandResult | null> {
    if (this.conns.has(instanceId) || !this.relay) return this.localCommand(instanceId, name, args, timeoutMs);
    const row = await this.engine.store.find(instanceId);
    if (!row?.hubReplica || row.hubReplica === this.replicaId || row.connection !== 'connected') return null;
    const id = randomUUID();
    const result = this.await(id, timeoutMs + 1000);
    await this.relay.notify(COMMANDS_CHANNEL, JSON.stringify({ id, to: row.hubReplica, from: this.replicaId, instanceId, name, args, timeoutMs } satisfies RelayedCommand));
    const r = await result;
    return r && r.error === 'agent not connected there' ? null : r;
  }

  private await(id: string, timeoutMs: number): Promise<CommandResult | null> {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      setTimeout(() => {
        if (this.waiting.delete(id)) resolve(null);
      }, timeoutMs).unref();
    });
  }

  /** Send a command to the agent if its socket is on this replica; null when not reachable. */
  private async localCommand(instanceId: string, name: CommandName, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<CommandResult | null> {
    const id = randomUUID();
    const result = this.await(id, timeoutMs);
    const conn = this.conns.get(instanceId);
    if (!conn || !this.send(instanceId, { type: 'command', id, name, args })) {
      this.waiting.delete(id);
      return null;
    }
    conn.pending.add(id);
    return result.finally(() => conn.pending.delete(id));
  }

  /** Mark agents whose heartbeats stopped (two intervals) as disconnected, wherever they were. */
  async sweep(): Promise<void> {
    const hb = this.engine.deps.heartbeatSeconds;
    const cutoff = Date.now() - 2 * hb * 1000;
    for (const row of await this.engine.store.byConnection('connected')) {
      if (row.lastHeartbeatAt && row.lastHeartbeatAt.getTime() < cutoff) {
        await this.engine.store.connection(row.id, { type: 'disconnect' }, { actor: 'hub', reason: `no heartbeat for ${Math.round((Date.now() - row.lastHeartbeatAt.getTime()) / 1000)}s` });
        const c = this.conns.get(row.id);
        if (c) c.ws.terminate();
      }
    }
  }

  /** Revoke: close an agent's socket for good (used after teardown). */
  revoke(instanceId: string): void {
    this.conns.get(instanceId)?.ws.close(CLOSE_REVOKED, 'revoked');
  }

  async close(): Promise<void> {
    await this.unrelay?.().catch(() => {});
    if (this.sweeper) clearInterval(this.sweeper);
    for (const c of this.conns.values()) c.ws.terminate();
    this.conns.clear();
    this.wss.close();
  }
}

/** The event text for an agent's self-update step. */
function updateReason(m: Extract<AgentMessage, { type: 'update' }>): string {
  const what = `agent update ${m.from ? `${m.from} → ` : 'to '}${m.version}`;
  const verb = { available: 'offered', downloaded: 'downloaded and verified', refused: 'refused', switching: 'switching', committed: 'healthy: committed', 'rolled-back': 'rolled back' }[m.phase];
  return m.detail ? `${what}: ${verb}: ${m.detail}` : `${what}: ${verb}`;
}
