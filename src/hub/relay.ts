import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { HubMessage } from './protocol.ts';

export type CommandName = Extract<HubMessage, { type: 'command' }>['name'];

/** An agent's answer to a command. */
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
/** What a replica answers for an agent whose socket it no longer holds. */
const NOT_THERE = 'agent not connected there';

/**
 * Commands waiting for their answer, by command id: each settles once (its answer, or null at
 * its timeout or when the socket closed).
 *
 * @example
 * const answers = new Answers();
 * const r = answers.wait(id, 10_000); // … answers.settle(id, { ok: true }) → r resolves
 */
export class Answers {
  private readonly waiting = new Map<string, (r: CommandResult | null) => void>();

  wait(id: string, timeoutMs: number): Promise<CommandResult | null> {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      setTimeout(() => this.settle(id, null), timeoutMs).unref();
    });
  }

  /** Resolve a waiting command; false when none waits (answered, timed out, or unknown). */
  settle(id: string, result: CommandResult | null): boolean {
    const resolve = this.waiting.get(id);
    if (!resolve || !this.waiting.delete(id)) return false;
    resolve(result);
    return true;
  }

  /** Forget a command that was never sent. */
  cancel(id: string): void {
    this.waiting.delete(id);
  }
}

/**
 * With several replicas on one PostgreSQL: a command for an agent whose socket another replica
 * holds travels by NOTIFY to that replica, which runs it locally, and its result comes back the
 * same way.
 *
 * @example
 * const relay = new CommandRelay(database, replicaId, answers, (id, n, a, t) => hub.localCommand(id, n, a, t), log);
 * await relay.start();
 * const result = await relay.send('other-replica', instanceId, 'status', {}, 10_000);
 */
export class CommandRelay {
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly relay: Relay,
    private readonly replicaId: string,
    private readonly answers: Answers,
    private readonly runLocal: (instanceId: string, name: CommandName, args: Record<string, unknown>, timeoutMs: number) => Promise<CommandResult | null>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const unlistenCmd = await this.relay.listen(COMMANDS_CHANNEL, (payload) => {
      const m = JSON.parse(payload) as RelayedCommand;
      if (m.to !== this.replicaId) return;
      void this.runLocal(m.instanceId, m.name, m.args, m.timeoutMs).then((result) =>
        this.relay.notify(RESULTS_CHANNEL, JSON.stringify({ id: m.id, to: m.from, result } satisfies RelayedResult)).catch((err) => this.log.warn({ err }, 'hub: relaying a result failed')),
      );
    });
    const unlistenRes = await this.relay.listen(RESULTS_CHANNEL, (payload) => {
      const m = JSON.parse(payload) as RelayedResult;
      if (m.to !== this.replicaId) return;
      this.answers.settle(m.id, m.result ?? { ok: false, error: NOT_THERE });
    });
    this.unlisten = async () => {
      await unlistenCmd();
      await unlistenRes();
    };
  }

  /** Run a command on replica `to`; null when the agent is not reachable there. */
  async send(to: string, instanceId: string, name: CommandName, args: Record<string, unknown>, timeoutMs: number): Promise<CommandResult | null> {
    const id = randomUUID();
    const result = this.answers.wait(id, timeoutMs + 1000);
    await this.relay.notify(COMMANDS_CHANNEL, JSON.stringify({ id, to, from: this.replicaId, instanceId, name, args, timeoutMs } satisfies RelayedCommand));
    const r = await result;
    return r && r.error === NOT_THERE ? null : r;
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }
}
