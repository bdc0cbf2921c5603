import { TokenBucket } from './bucket.ts';
import { HUB_DROP_BURST, HUB_DROP_RATE_PER_SECOND, HUB_GATE_KEEP_SECONDS, HUB_LOG_RATE_BURST, HUB_LOG_RATE_PER_SECOND, HUB_MAX_QUEUED_FRAMES, HUB_RATE_BURST, HUB_RATE_PER_SECOND } from './limits.ts';

/**
 * One agent socket's frame budget: frames of any kind, `log` frames, frames waiting to be
 * handled, and how many dropped frames are forgiven before the agent counts as flooding.
 *
 * @example
 * const gate = new FrameGate();
 * if (!gate.admit()) { if (gate.drop()) ws.close(CLOSE_RATE_LIMITED); return; }
 */
export class FrameGate {
  private readonly all: TokenBucket;
  private readonly logs: TokenBucket;
  private readonly forgiven: TokenBucket;
  /** Frames received and not handled yet. */
  queued = 0;
  /** Frames dropped on this socket (over a rate, too deep a queue, or invalid). */
  dropped = 0;

  constructor(now?: () => number) {
    this.all = new TokenBucket(HUB_RATE_PER_SECOND, HUB_RATE_BURST, now);
    this.logs = new TokenBucket(HUB_LOG_RATE_PER_SECOND, HUB_LOG_RATE_BURST, now);
    this.forgiven = new TokenBucket(HUB_DROP_RATE_PER_SECOND, HUB_DROP_BURST, now);
  }

  /** Whether a frame, before it is even parsed, may be handled. */
  admit(): boolean {
    return this.queued < HUB_MAX_QUEUED_FRAMES && this.all.take();
  }

  /** Whether a parsed `log` frame may be handled (log frames have a stricter budget of their own). */
  admitLog(): boolean {
    return this.logs.take();
  }

  /** Count a dropped frame; true when the agent keeps flooding and should be closed. */
  drop(): boolean {
    this.dropped++;
    return !this.forgiven.take();
  }
}

/**
 * The frame gates of the agents, one per instance, kept HUB_GATE_KEEP_SECONDS after its last socket
 * closed: an agent closed for flooding does not get a fresh budget by dialing again.
 *
 * @example
 * const gate = gates.open(instanceId); // on accept
 * gates.close(instanceId); // on close
 */
export class AgentGates {
  private readonly gates = new Map<string, { gate: FrameGate; sockets: number; timer: NodeJS.Timeout | null }>();

  constructor(private readonly keepMs = HUB_GATE_KEEP_SECONDS * 1000) {}

  open(instanceId: string): FrameGate {
    const e = this.gates.get(instanceId) ?? { gate: new FrameGate(), sockets: 0, timer: null };
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    e.sockets++;
    this.gates.set(instanceId, e);
    return e.gate;
  }

  close(instanceId: string): void {
    const e = this.gates.get(instanceId);
    if (!e || --e.sockets > 0) return;
    e.timer = setTimeout(() => this.gates.get(instanceId) === e && e.sockets === 0 && this.gates.delete(instanceId), this.keepMs);
    e.timer.unref();
  }

  clear(): void {
    for (const e of this.gates.values()) if (e.timer) clearTimeout(e.timer);
    this.gates.clear();
  }
}
