import { Counter, Gauge, Registry } from 'prom-client';
import { countSmokeFailing } from '../engine/smoke.ts';
import type { Store } from '../engine/store.ts';
import { API_LANES, availableTokens, type BudgetState } from '../domain/api-budget.ts';

/** Where the shared cloud-API buckets are read from (src/db/stores/api-budget.ts). */
export interface BudgetSource {
  list(): Promise<{ key: string; vendor: string; state: BudgetState }[]>;
}

/** Prometheus metrics at `/metrics`. Instance gauges are read from the database on scrape. */
export class Metrics {
  readonly registry = new Registry();
  readonly http = new Counter({ name: 'hangar_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly events = new Counter({ name: 'hangar_instance_events_total', help: 'Instance events appended', labelNames: ['kind'], registers: [this.registry] });
  readonly smoke = new Counter({ name: 'hangar_smoke_total', help: 'Smoke test results (hangar smoke, the API and the smoke timer); an agent error or no answer counts as fail', labelNames: ['result'], registers: [this.registry] });
  private readonly instances = new Gauge({ name: 'hangar_instances', help: 'Instances by lifecycle status and connection', labelNames: ['status', 'connection'], registers: [this.registry] });
  private readonly smokeFailing = new Gauge({ name: 'hangar_instances_smoke_failing', help: 'Running instances whose latest smoke test failed', registers: [this.registry] });
  private readonly agents = new Gauge({ name: 'hangar_agents_connected', help: 'Agent sockets held by this replica', registers: [this.registry] });

  private readonly budgetLimit = new Gauge({ name: 'hangar_api_budget_limit', help: 'Cloud-API budget per vendor account (bucket = vendor and a hash of the token): its limit as the vendor reports it', labelNames: ['bucket', 'vendor'], registers: [this.registry] });
  private readonly budgetTokens = new Gauge({ name: 'hangar_api_budget_remaining', help: 'Cloud-API calls the shared bucket allows now (every replica together)', labelNames: ['bucket', 'vendor'], registers: [this.registry] });
  private readonly budgetUsed = new Gauge({ name: 'hangar_api_budget_used_ratio', help: 'Share of the cloud-API budget in use (1 - remaining/limit)', labelNames: ['bucket', 'vendor'], registers: [this.registry] });
  private readonly budgetInFlight = new Gauge({ name: 'hangar_api_budget_in_flight', help: 'Cloud-API calls granted and not yet answered, all replicas', labelNames: ['bucket', 'vendor'], registers: [this.registry] });
  private readonly budgetGranted = new Gauge({ name: 'hangar_api_budget_granted', help: 'Cloud-API calls granted since the bucket was created, by priority lane (urgent: delete/reconcile, create, list)', labelNames: ['bucket', 'vendor', 'lane'], registers: [this.registry] });
  private readonly budgetLimited = new Gauge({ name: 'hangar_api_budget_429', help: 'HTTP 429 answers the vendor gave this bucket, all replicas', labelNames: ['bucket', 'vendor'], registers: [this.registry] });

  constructor(
    private readonly store: Store,
    private readonly connected: () => number,
    private readonly budgets?: BudgetSource,
  ) {}

  async refresh(): Promise<void> {
    this.instances.reset();
    for (const r of await this.store.countsByStatus()) this.instances.set({ status: r.status, connection: r.connection }, r.n);
    this.smokeFailing.set(await countSmokeFailing(this.store.db));
    this.agents.set(this.connected());
    if (this.budgets) await this.refreshBudgets(this.budgets);
  }

  private async refreshBudgets(source: BudgetSource): Promise<void> {
    const now = Date.now();
    for (const g of [this.budgetLimit, this.budgetTokens, this.budgetUsed, this.budgetInFlight, this.budgetGranted, this.budgetLimited]) g.reset();
    for (const b of await source.list()) {
      const l = { bucket: b.key, vendor: b.vendor };
      const left = Math.max(0, Math.floor(availableTokens(b.state, now)));
      this.budgetLimit.set(l, b.state.limit);
      this.budgetTokens.set(l, left);
      this.budgetUsed.set(l, b.state.mode === 'unknown' ? 0 : Math.min(1, Math.max(0, 1 - left / b.state.limit)));
      this.budgetInFlight.set(l, b.state.inFlight);
      this.budgetLimited.set(l, b.state.limited);
      for (const lane of API_LANES) this.budgetGranted.set({ ...l, lane }, b.state.granted[lane]);
    }
  }
}
