import { ConflictError, HangarError } from '../domain/errors.ts';
import type { Actor, InstanceRow, Store } from './store.ts';

/** The operations commands an agent answers (`hangar status|doctor|logs|smoke|restart|exec`). */
export type OpsCommand = 'status' | 'doctor' | 'logs' | 'smoke' | 'restart' | 'exec' | 'update';

/** An agent's answer to a command. */
export interface OpResult {
  ok: boolean;
  data?: unknown;
  error?: string;
}

/** Sends a command to the agent wherever its socket is (the hub); null when no answer came. */
export type SendCommand = (instanceId: string, name: OpsCommand, args: Record<string, unknown>, timeoutMs: number) => Promise<OpResult | null>;

/** How one command is run and audited. */
export interface CommandOptions {
  timeoutMs: number;
  actor: Actor;
  /** The event's reason after `command <name>: ` (cut to 300 characters). */
  summarize: (r: OpResult) => string;
  /** Extra event data: fixed, or from the answer (null when the agent did not answer). */
  audit?: Record<string, unknown> | ((r: OpResult | null) => Record<string, unknown>);
}

/**
 * Commands that only read: they leave no instance event (the API's audit log records who ran
 * them), so status polls and `logs --follow` keep the event log clean.
 */
export const READ_ONLY_COMMANDS: ReadonlySet<OpsCommand> = new Set(['status', 'doctor', 'logs']);

/** A smoke test's outcome as recorded in its event (`data.result`, `data.detail`). */
export type SmokeResult = 'pass' | 'fail';

/** A smoke command can take the agent's full 300 s smoke timeout, plus the round trip. */
const SMOKE_TIMEOUT_MS = 310_000;

/**
 * Runs operations commands on agents; each one that acts (smoke, restart, exec, update) is one
 * `info` event on the instance, read-only ones (status, doctor, logs) none. The API
 * routes and the smoke timer share it, so a timed smoke records exactly what a manual one does.
 *
 * @example
 * const ops = new AgentOps({ store, send: (id, n, a, t) => hub.command(id, n, a, t) });
 * const { result } = await ops.smoke(id, 'smoke-timer'); // result.ok, data.result 'pass' | 'fail'
 */
export class AgentOps {
  constructor(private readonly o: { store: Store; send?: SendCommand; onSmoke?: (result: SmokeResult) => void }) {}

  /**
   * Send `name` to the instance's agent and append its event (none for read-only commands:
   * `summary` says what happened, for the audit row). ConflictError when the agent is not
   * connected; a 504 HangarError (after the event) when it does not answer in time.
   */
  async run(id: string, name: OpsCommand, args: Record<string, unknown>, opts: CommandOptions): Promise<{ row: InstanceRow; result: OpResult; summary: string }> {
    const { store, send } = this.o;
    const row = await store.get(id);
    if (!send || row.connection !== 'connected' || row.status === 'stopped' || row.status === 'stopping') {
      throw new ConflictError(`agent is not connected (status ${row.status}, connection ${row.connection}); try again when it is`);
    }
    const result = await send(id, name, { ...args, serverTime: Date.now() }, opts.timeoutMs);
    const audit = typeof opts.audit === 'function' ? opts.audit(result) : (opts.audit ?? {});
    const record = !READ_ONLY_COMMANDS.has(name);
    if (!result) {
      if (record) await store.event(id, { actor: opts.actor, kind: 'info', reason: `command ${name}: no answer from the agent`, data: { command: name, ok: false, ...audit } });
      throw new HangarError('agent-timeout', `the agent did not answer ${name} within ${Math.round(opts.timeoutMs / 1000)} s (connection ${row.connection}); try again`, 504);
    }
    const summary = `command ${name}: ${opts.summarize(result).slice(0, 300)}`;
    if (record) await store.event(id, { actor: opts.actor, kind: 'info', reason: summary, data: { command: name, ok: result.ok, ...audit } });
    return { row, result, summary };
  }

  /**
   * The workload's smoke test (or one health check). Its event carries `result` (pass|fail; an
   * agent error or no answer is a fail) and `detail`, which {@link lastSmoke} reads back.
   */
  /**
   * Run `fn` for every running instance whose agent is connected, at most `concurrency` at once
   * (the smoke timer, a release rollout).
   */
  async eachConnected(fn: (row: InstanceRow) => Promise<void>, concurrency = 8): Promise<void> {
    const todo = (await this.o.store.byStatus(['running'])).filter((r) => r.connection === 'connected');
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, async () => {
      for (let row = todo.shift(); row; row = todo.shift()) await fn(row);
    }));
  }

  async smoke(id: string, actor: Actor, extra: Record<string, unknown> = {}): Promise<{ row: InstanceRow; result: OpResult; summary: string }> {
    let outcome = null as SmokeResult | null;
    const audit = (r: OpResult | null) => {
      const d = (r?.ok ? r.data : {}) as { result?: string; kind?: string; detail?: string };
      outcome = r?.ok && d.result === 'pass' ? 'pass' : 'fail';
      const detail = !r ? `no answer from the agent within ${Math.round(SMOKE_TIMEOUT_MS / 1000)} s` : r.ok ? String(d.detail ?? '') : `agent error: ${r.error ?? 'unknown'}`;
      return { result: outcome, ...(d.kind ? { kind: d.kind } : {}), detail: detail.slice(0, 500), ...extra };
    };
    try {
      return await this.run(id, 'smoke', {}, { timeoutMs: SMOKE_TIMEOUT_MS, actor, summarize: (r) => (r.ok ? `${(r.data as { result: string }).result}: ${(r.data as { detail: string }).detail}` : `failed: ${r.error}`), audit });
    } finally {
      if (outcome) this.o.onSmoke?.(outcome);
    }
  }
}
