import { EventEmitter } from 'node:events';
import type { Database } from '../db/client.ts';

const EVENTS_CHANNEL = 'hangar_events';

/**
 * Wakes SSE streams when an instance gets a new event. In-process emits are immediate; a
 * NOTIFY carries the instance id to the other replicas sharing the database.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private unlisten: (() => Promise<void>) | null = null;

  constructor(private readonly database: Database) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    if (this.database.kind === 'postgres') {
      this.unlisten = await this.database.listen(EVENTS_CHANNEL, (instanceId) => this.emitter.emit('event', instanceId));
    }
  }

  /** Called after an event row is committed. */
  publish(instanceId: string): void {
    this.emitter.emit('event', instanceId);
    if (this.database.kind === 'postgres') void this.database.notify(EVENTS_CHANNEL, instanceId).catch(() => {});
  }

  /** Subscribe to wake-ups (instance id, or every instance when `instanceId` is null). */
  subscribe(instanceId: string | null, fn: () => void): () => void {
    const h = (id: string) => (instanceId === null || id === instanceId) && fn();
    this.emitter.on('event', h);
    return () => this.emitter.off('event', h);
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }
}
