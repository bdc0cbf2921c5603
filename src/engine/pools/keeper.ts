/**
 * Keeps every warm pool at its `ready` count: one replica at a time (a lease) looks at each
 * pool's unclaimed members, creates the missing ones (ordinary instances with `pool_id`, so the
 * durable steps, timeouts and the reconciler cover them: nothing leaks), destroys extras, dead
 * members and members of deleted pools, and pauses a pool whose last 3 members failed in a row
 * (an event on the last failed member says why; `PUT /v1/pools/:name` unpauses it).
 *
 * @example
 * const keeper = new PoolKeeper({ engine, pools, db, replicaId, log, intervalSeconds: 5 });
 * keeper.start(); // … keeper.kick() after a claim; await keeper.stop();
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.ts';
import { BudgetExceededError } from '../../domain/budget.ts';
import { acquireLease, releaseLease } from '../lease.ts';
import type { InstanceRow } from '../store.ts';
import { isWarm, type PoolRow, type PoolStore } from './store.ts';

/** Failures in a row that pause a pool. */
export const POOL_FAILURE_LIMIT = 3;
const LEASE = 'pools';

/** What the keeper needs of the engine. */
export interface PoolEngine {
  createPoolMember(pool: PoolRow): Promise<InstanceRow>;
  destroy(instanceId: string, actor: string, reason?: string): Promise<unknown>;
  store: { event(id: string, e: { actor: string; kind: 'warning' | 'info'; reason: string; data?: Record<string, unknown> }): Promise<unknown> };
}

export interface PoolKeeperDeps {
  engine: PoolEngine;
  pools: PoolStore;
  db: Db;
  replicaId: string;
  log: Logger;
  intervalSeconds: number;
  /**
   * The one place a refill asks the spending budget (the budgets feature) whether a new member
   * may be created; absent: always. False leaves the pool short until the next pass.
   */
  budgetAllows?: (pool: PoolRow) => Promise<boolean>;
}

/** What a budget gate reads: the budgets that apply to a project, with this month's projection. */
export type BudgetCosts = (project: string) => Promise<{ budgets: { monthly: number; projected: number }[] }>;

/**
 * The keeper's `budgetAllows` from the budgets feature: a pool refills only while every budget
 * that applies to its project (its own and the installation's) is projected below its cap. A
 * member that would cross the cap is then refused by its create's reservation (402), which the
 * keeper treats the same way.
 *
 * @example
 * new PoolKeeper({ …, budgetAllows: budgetGate((p) => engine.costs(p)) });
 */
export function budgetGate(costs: BudgetCosts): (pool: PoolRow) => Promise<boolean> {
  return async (pool) => (await costs(pool.project)).budgets.every((b) => b.projected < b.monthly);
}

/** What one pass did, for tests and logs. */
export interface PoolPass {
  created: number;
  destroyed: number;
  paused: string[];
}

/**
 * The failures in a row at the newest end of a pool's unclaimed members (newest first): members
 * still starting are skipped; a member whose agent connected ends the run.
 *
 * @example
 * failuresInRow([{ failureReason: 'x', … }, { failureReason: 'y', … }]) // → 2
 */
export function failuresInRow(members: readonly Pick<InstanceRow, 'failureReason' | 'status' | 'connection' | 'poolClaimedAt' | 'agentId'>[]): number {
  let n = 0;
  for (const m of members) {
    if (m.failureReason) n++;
    else if (isWarm(m) || m.agentId) break;
  }
  return n;
}

export class PoolKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PoolPass> | null = null;
  private stopped = false;

  constructor(private readonly d: PoolKeeperDeps) {}

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      void this.runOnce()
        .catch((err) => this.d.log.warn({ err: (err as Error).message }, 'warm pool pass failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.d.intervalSeconds * 1000);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Run a pass soon (after a claim or a change), on whichever replica holds the lease. */
  kick(): void {
    if (!this.stopped && !this.running) void this.runOnce().catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  /** One pass if this replica holds the lease (else nothing). */
  async runOnce(): Promise<PoolPass> {
    if (this.running) return this.running;
    this.running = (async () => {
      const none: PoolPass = { created: 0, destroyed: 0, paused: [] };
      if (!(await acquireLease(this.d.db, LEASE, this.d.replicaId, Math.max(30, this.d.intervalSeconds * 3)))) return none;
      try {
        return await this.pass();
      } finally {
        await releaseLease(this.d.db, LEASE, this.d.replicaId).catch(() => {});
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<PoolPass> {
    const out: PoolPass = { created: 0, destroyed: 0, paused: [] };
    const { engine, pools } = this.d;
    for (const orphan of await pools.orphans()) {
      await engine.destroy(orphan.id, 'pool', 'its warm pool was deleted');
      out.destroyed++;
    }
    for (const pool of await pools.list()) {
      const members = await pools.members(pool.id);
      const failures = failuresInRow(members);
      if (failures !== pool.consecutiveFailures) await pools.setFailures(pool.id, failures);
      if (!pool.pausedAt && failures >= POOL_FAILURE_LIMIT) {
        const last = members.find((m) => m.failureReason)!;
        const reason = `warm pool ${pool.name} paused after ${failures} failures in a row (last: ${last.failureReason}); fix the cause, then hangar pool set ${pool.name} … to resume`;
        if (await pools.pause(pool.id, reason)) {
          await engine.store.event(last.id, { actor: 'pool', kind: 'warning', reason, data: { pool: pool.name, failures } });
          this.d.log.warn({ pool: pool.name, failures }, reason);
          out.paused.push(pool.name);
        }
        continue;
      }
      if (pool.pausedAt) continue;
      // A member whose agent went away cannot be claimed: replace it.
      for (const m of members.filter((x) => x.status === 'provisioning' && (x.connection === 'disconnected' || x.connection === 'timeout'))) {
        await engine.destroy(m.id, 'pool', `warm member lost its agent (${m.connection})`);
        out.destroyed++;
      }
      const active = members.filter((x) => (x.status === 'pending' || x.status === 'provisioning') && (x.connection === 'connecting' || x.connection === 'connected'));
      for (const extra of active.slice(pool.ready)) {
        await engine.destroy(extra.id, 'pool', `warm pool ${pool.name} keeps ${pool.ready}`);
        out.destroyed++;
      }
      for (let i = active.length; i < pool.ready; i++) {
        if (this.d.budgetAllows && !(await this.d.budgetAllows(pool))) break;
        try {
          await engine.createPoolMember(pool);
        } catch (err) {
          // The create's own reservation is the exact check (the member's price): at the cap, the
          // pool stays short until spend or the budget changes; other pools still get their pass.
          if (!(err instanceof BudgetExceededError)) throw err;
          this.d.log.warn({ pool: pool.name, project: pool.project }, `warm pool ${pool.name} not refilled: ${err.message}`);
          break;
        }
        out.created++;
      }
    }
    return out;
  }
}
