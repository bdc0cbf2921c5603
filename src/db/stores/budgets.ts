import { and, eq, gte, inArray, notInArray, or, sql } from 'drizzle-orm';
import { decide, monthOf, monthSpend, BudgetExceededError, type BillableSpan, type Cap, type UnitPrice } from '../../domain/budget.ts';
import type { Db } from '../client.ts';
import { budgets, budgetWarnings, instanceCosts, instances, priceCache } from '../schema.ts';

/** The scope of the installation's budget (a project's budget uses the project's name). */
export const INSTALLATION_SCOPE = '*';

/** Advisory lock key serialising every budget check + reservation, on every replica. */
const BUDGET_LOCK = 727_013;

/** A budget as stored. */
export interface BudgetRow extends Cap {
  scope: string;
  updatedAt: Date;
  updatedBy: string | null;
}

/** One instance's cost record, with how long it has existed. */
export interface CostSpan extends BillableSpan {
  instanceId: string;
  project: string;
  provider: string;
  name: string;
  serverType: string | null;
  location: string | null;
  status: string;
}

/** A warning threshold a reservation crossed for the first time this month. */
export interface CrossedThreshold {
  scope: string;
  threshold: number;
  projected: number;
  cap: Cap;
}

/**
 * Budgets, the shared price cache and each instance's cost record in the database. `reserve`
 * runs inside the transaction that inserts an instance: it takes a transaction-scoped advisory
 * lock, so checks and reservations of concurrent creates on every replica happen one after the
 * other and none sees a total without the others' reservations.
 *
 * @example
 * const ledger = new DbBudgetStore(db);
 * await ledger.setBudget('*', { monthly: 200, currency: 'EUR' }, 'api:admin');
 */
export class DbBudgetStore {
  constructor(private readonly db: Db) {}

  async setBudget(scope: string, cap: Cap | null, actor: string): Promise<BudgetRow | null> {
    if (!cap) {
      await this.db.delete(budgets).where(eq(budgets.scope, scope));
      return null;
    }
    const row = { scope, monthly: cap.monthly, currency: cap.currency, updatedAt: new Date(), updatedBy: actor };
    const [out] = await this.db.insert(budgets).values(row).onConflictDoUpdate({ target: budgets.scope, set: { monthly: row.monthly, currency: row.currency, updatedAt: row.updatedAt, updatedBy: actor } }).returning();
    return out;
  }

  async budgetsFor(scopes: string[], db: Db = this.db): Promise<BudgetRow[]> {
    return db.select().from(budgets).where(inArray(budgets.scope, scopes));
  }

  /** Cost spans of instances that existed this month (of one project, or all). */
  async spans(now: Date, project?: string, db: Db = this.db): Promise<CostSpan[]> {
    const month = monthOf(now);
    const rows = await db
      .select({ c: instanceCosts, status: instances.status, serverId: instances.serverId, updatedAt: instances.updatedAt, name: instances.name, serverType: instances.serverType, location: instances.location })
      .from(instanceCosts)
      .innerJoin(instances, eq(instances.id, instanceCosts.instanceId))
      .where(and(project ? eq(instanceCosts.project, project) : undefined, or(notInArray(instances.status, ['stopped', 'failed']), gte(instances.updatedAt, month.start))));
    return rows.map(({ c, status, serverId, updatedAt, name, serverType, location }) => ({
      instanceId: c.instanceId,
      name,
      serverType,
      location,
      status,
      project: c.project,
      provider: c.provider,
      hourly: c.hourly,
      monthly: c.monthly,
      currency: c.currency,
      start: c.startedAt,
      // A stopped instance was billed until it stopped; a failed one without a server never had one.
      end: status === 'stopped' || (status === 'failed' && !serverId) ? updatedAt : null,
    }));
  }

  /**
   * Check the caps of the installation and of `project` against this month's projection plus
   * `cost` (the new instance's cost for the rest of the month) and record the instance's price;
   * throws BudgetExceededError (402) when a cap would be passed. Call inside the instance's
   * insert transaction (`tx`). Returns the warning thresholds crossed for the first time.
   */
  async reserve(tx: Db, r: { instanceId: string; project: string; provider: string; price: UnitPrice; cost: number; now: Date }): Promise<CrossedThreshold[]> {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${BUDGET_LOCK})`);
    const caps = await this.budgetsFor([INSTALLATION_SCOPE, r.project], tx);
    const crossed: CrossedThreshold[] = [];
    if (caps.length) {
      const all = await this.spans(r.now, undefined, tx);
      for (const cap of caps) {
        const spans = all.filter((s) => (cap.scope === INSTALLATION_SCOPE || s.project === cap.scope) && s.currency === cap.currency);
        const { projected } = monthSpend(spans, r.now);
        const d = decide(cap, projected, r.cost, r.price.currency);
        if (!d.allowed) throw new BudgetExceededError(d, cap.scope);
        for (const threshold of d.warn) crossed.push({ scope: cap.scope, threshold, projected: d.projectedAfter, cap });
      }
    }
    await tx.insert(instanceCosts).values({ instanceId: r.instanceId, project: r.project, provider: r.provider, hourly: r.price.hourly, monthly: r.price.monthly, currency: r.price.currency, startedAt: r.now });
    const month = monthOf(r.now).key;
    const fresh: CrossedThreshold[] = [];
    for (const c of crossed) {
      const won = await tx.insert(budgetWarnings).values({ scope: c.scope, month, threshold: c.threshold }).onConflictDoNothing().returning();
      if (won.length) fresh.push(c);
    }
    return fresh;
  }

  /** The price the cloud reports for the server an instance got (replaces the reservation's). */
  async reprice(instanceId: string, price: UnitPrice): Promise<void> {
    await this.db.update(instanceCosts).set({ hourly: price.hourly, monthly: price.monthly, currency: price.currency }).where(eq(instanceCosts.instanceId, instanceId));
  }

  /** A provider's server types as last fetched, with when. */
  async cachedPrices(provider: string): Promise<{ serverTypes: Record<string, unknown>[]; fetchedAt: Date } | null> {
    const [row] = await this.db.select().from(priceCache).where(eq(priceCache.provider, provider));
    return row ?? null;
  }

  async storePrices(provider: string, serverTypes: Record<string, unknown>[]): Promise<void> {
    const fetchedAt = new Date();
    await this.db.insert(priceCache).values({ provider, serverTypes, fetchedAt }).onConflictDoUpdate({ target: priceCache.provider, set: { serverTypes, fetchedAt } });
  }
}
