import { Counter, Gauge, Registry } from 'prom-client';
import { countSmokeFailing } from '../engine/smoke.ts';
import type { Store } from '../engine/store.ts';

/** Prometheus metrics at `/metrics`. Instance gauges are read from the database on scrape. */
export class Metrics {
  readonly registry = new Registry();
  readonly http = new Counter({ name: 'hangar_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly events = new Counter({ name: 'hangar_instance_events_total', help: 'Instance events appended', labelNames: ['kind'], registers: [this.registry] });
  readonly smoke = new Counter({ name: 'hangar_smoke_total', help: 'Smoke test results (hangar smoke, the API and the smoke timer); an agent error or no answer counts as fail', labelNames: ['result'], registers: [this.registry] });
  private readonly instances = new Gauge({ name: 'hangar_instances', help: 'Instances by lifecycle status and connection', labelNames: ['status', 'connection'], registers: [this.registry] });
  private readonly smokeFailing = new Gauge({ name: 'hangar_instances_smoke_failing', help: 'Running instances whose latest smoke test failed', registers: [this.registry] });
  private readonly agents = new Gauge({ name: 'hangar_agents_connected', help: 'Agent sockets held by this replica', registers: [this.registry] });

  constructor(private readonly store: Store, private readonly connected: () => number) {}

  async refresh(): Promise<void> {
    this.instances.reset();
    for (const r of await this.store.countsByStatus()) this.instances.set({ status: r.status, connection: r.connection }, r.n);
    this.smokeFailing.set(await countSmokeFailing(this.store.db));
    this.agents.set(this.connected());
  }
}
