/**
 * The shared cloud-API budget rows (table `api_budgets`): one per vendor account, locked with
 * `SELECT … FOR UPDATE` by primary key, changed by the pure arithmetic of
 * src/domain/api-budget.ts and written back in the same transaction, so every replica spends
 * from one bucket. No call scans the table; only `/metrics` reads all rows.
 *
 * @example
 * const budget = new DbApiBudgetStore(db);
 * new RestClient({ …, rateLimit: HETZNER_RATE_LIMIT, budget }); // every replica shares the row
 */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { apiBudgets } from '../schema.ts';
import { initialBudget, settleCall, takeToken, type ApiLane, type BudgetPolicy, type BudgetState, type CallOutcome } from '../../domain/api-budget.ts';

/** One bucket as `/metrics` and the dashboard show it. */
export interface BudgetRow {
  key: string;
  vendor: string;
  state: BudgetState;
  updatedAt: Date;
}

export class DbApiBudgetStore {
  constructor(private readonly db: Db) {}

  /** Lock the row of `key` (created from `policy` when missing), apply `fn`, write its state. */
  private async change<T>(key: string, now: number, policy: BudgetPolicy, fn: (s: BudgetState) => { state: BudgetState; result: T }): Promise<T> {
    return this.db.transaction(async (tx) => {
      let [row] = await tx.select().from(apiBudgets).where(eq(apiBudgets.key, key)).for('update');
      if (!row) {
        await tx.insert(apiBudgets).values({ key, vendor: policy.vendor, state: initialBudget(policy, now) }).onConflictDoNothing();
        [row] = await tx.select().from(apiBudgets).where(eq(apiBudgets.key, key)).for('update');
      }
      const { state, result } = fn(row.state as BudgetState);
      if (state !== row.state) await tx.update(apiBudgets).set({ state, updatedAt: sql`now()` }).where(eq(apiBudgets.key, key));
      return result;
    });
  }

  /** Spend one token for `lane`, or say when to ask again. */
  take(key: string, lane: ApiLane, now: number, policy: BudgetPolicy): Promise<{ granted: boolean; retryAt: number }> {
    return this.change(key, now, policy, (s) => {
      const d = takeToken(s, lane, now);
      return { state: d.state, result: { granted: d.granted, retryAt: d.granted ? now : d.retryAt } };
    });
  }

  /** A granted call came back: free its in-flight slot, learn from its headers. */
  async settle(key: string, now: number, outcome: CallOutcome | null, policy: BudgetPolicy): Promise<void> {
    await this.change(key, now, policy, (s) => ({ state: settleCall(s, now, outcome, policy), result: undefined }));
  }

  /**
   * Forget every call counted in flight: only for a process that knows no other one runs (the
   * embedded default holds its data dir's lock), at start, when those calls died with their process.
   */
  async forgetInFlight(): Promise<void> {
    await this.db.execute(sql`UPDATE api_budgets SET state = jsonb_set(state, '{inFlight}', '0'::jsonb), updated_at = now() WHERE (state->>'inFlight')::int > 0`);
  }

  /** Every bucket (few: one per vendor account). */
  async list(): Promise<BudgetRow[]> {
    const rows = await this.db.select().from(apiBudgets).orderBy(apiBudgets.key);
    return rows.map((r) => ({ key: r.key, vendor: r.vendor, state: r.state as BudgetState, updatedAt: r.updatedAt }));
  }
}
