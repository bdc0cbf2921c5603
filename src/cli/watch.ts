import type { InstanceEvent } from '../api/contract/types.ts';
import type { HangarClient } from './client.ts';
import type { ProgressView } from './progress.ts';

/**
 * Turns an instance's event stream into progress: each `transition` into a provisioning step
 * starts that step and ends the one before (durations from the events' own timestamps, so a
 * replay shows true times); `running` ends the last step; `failed` fails it; `stopping` →
 * `stopped` is shown as one `stopping` phase. Other events become notes.
 */
export class StepTracker {
  private current: { name: string; at: number } | null = null;
  /** The most recent `error` event, for the failure message. */
  lastError: InstanceEvent | null = null;
  status: string | null = null;

  constructor(private readonly view: ProgressView) {}

  /** Feed one event; returns the lifecycle status it moved the instance to, if any. */
  handle(e: InstanceEvent): string | null {
    const at = Date.parse(e.at);
    switch (e.kind) {
      case 'transition': {
        const to = e.to ?? '';
        this.status = to;
        if (to === 'provisioning' && e.step) {
          if (this.current?.name === e.step) return to;
          this.finish(at);
          this.begin(e.step, at);
        } else if (to === 'running') {
          this.finish(at);
        } else if (to === 'failed') {
          if (this.current) {
            this.view.fail(at - this.current.at, e.reason ?? 'failed');
            this.current = null;
          } else {
            this.view.note('error', `failed: ${e.reason ?? 'no reason given'}`);
          }
        } else if (to === 'stopping') {
          if (this.current) {
            this.view.fail(at - this.current.at, 'interrupted: instance is being deleted');
            this.current = null;
          }
          this.begin('stopping', at);
        } else if (to === 'stopped') {
          if (this.current?.name === 'stopping') this.finish(at, 'stopped');
          else this.finish(at);
        } else if (to === 'pending' && !this.current) {
          if (e.reason) this.view.note('info', e.reason);
        }
        return to;
      }
      case 'error':
        this.lastError = e;
        this.view.note('error', `${e.reason ?? 'error'}${typeof e.data?.code === 'string' ? ` (${e.data.code})` : ''}`);
        return null;
      case 'warning':
        this.view.note('warning', e.reason ?? '');
        return null;
      case 'log':
        this.view.note('log', e.reason ?? '');
        return null;
      case 'connection':
        this.view.note('connection', `connection ${e.to ?? ''}${e.reason ? `: ${e.reason}` : ''}`);
        return null;
      default:
        if (e.reason) this.view.note('info', e.reason);
        return null;
    }
  }

  private begin(name: string, at: number): void {
    this.current = { name, at };
    this.view.start(name, at);
  }

  private finish(at: number, label?: string): void {
    if (!this.current) return;
    this.view.done(at - this.current.at, label);
    this.current = null;
  }
}

export type WaitOutcome =
  | { kind: 'reached'; status: string; event: InstanceEvent }
  | { kind: 'timeout' }
  | { kind: 'interrupted' };

export interface WaitOptions {
  /** Stop when a transition reaches one of these statuses. */
  until: string[];
  /** Resume after this event id. */
  after?: number;
  timeoutSeconds?: number;
  /** Told when the stream drops and reconnects. */
  onReconnect?: (attempt: number, err: Error) => void;
}

/**
 * Follow an instance's events (SSE, reconnecting with Last-Event-ID) through `tracker` until a
 * transition reaches one of `until`, the timeout passes, or the user presses Ctrl+C.
 */
export async function waitFor(client: HangarClient, id: string, tracker: StepTracker, opts: WaitOptions): Promise<WaitOutcome> {
  const ac = new AbortController();
  let why: 'timeout' | 'interrupted' | null = null;
  const onSigint = () => {
    why = 'interrupted';
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  const timer = opts.timeoutSeconds ? setTimeout(() => ((why = 'timeout'), ac.abort()), opts.timeoutSeconds * 1000) : undefined;
  try {
    for await (const e of client.followEvents(id, { after: opts.after, signal: ac.signal, onReconnect: opts.onReconnect })) {
      const to = tracker.handle(e);
      if (to && opts.until.includes(to)) return { kind: 'reached', status: to, event: e };
    }
    return { kind: why ?? 'interrupted' };
  } finally {
    clearTimeout(timer);
    process.removeListener('SIGINT', onSigint);
  }
}
