import { HUB_LOG_RATE_BURST, HUB_MAX_FRAME_BYTES, LOG_MAX_FRAME_CHARS, LOG_MAX_LINE_CHARS, type AgentMessage } from '../src/hub/protocol.ts';

type LogFrame = Extract<AgentMessage, { type: 'log' }>;
type Source = LogFrame['source'];

/** What the agent stays under, so the hub never has to drop its frames (src/hub/protocol.ts). */
export const OUTBOX = {
  /** Lines and characters batched into one log frame. */
  linesPerFrame: 100,
  charsPerFrame: LOG_MAX_FRAME_CHARS / 2,
  /** Log frames waiting at most (the oldest go first, counted): all fit in the hub's log burst. */
  maxLogFrames: HUB_LOG_RATE_BURST - 10,
};

/**
 * The agent's frames waiting for the hub: messages in order, and log lines batched into frames
 * within the hub's caps. Log lines past the backlog cap are dropped oldest first and the next
 * frame says how many.
 *
 * @example
 * const out = new Outbox();
 * out.log('workload', 'listening on :8080');
 * for (const m of out.take(2)) ws.send(frameOf(m));
 */
export class Outbox {
  private queue: AgentMessage[] = [];
  private droppedLines = 0;

  /** The open frame's last line as written (before folding), its shape, and how often it came. */
  private fold: { frame: LogFrame; text: string; shape: string; count: number } | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Queue one line. A line repeating the one before it (for the agent's own lines: equal once
   * digit runs are ignored, `reconnecting in 2s (attempt 3)` ~ `… in 4s (attempt 4)`) is folded into it: the
   * latest text stays, with `[×N]` saying how many there were. A new frame is stamped with the
   * agent's time (`at`), so the hub records when the lines were written, not when they arrived.
   */
  log(source: Source, line: string): void {
    const cut = line.length > LOG_MAX_LINE_CHARS ? `${line.slice(0, LOG_MAX_LINE_CHARS)}… [${line.length - LOG_MAX_LINE_CHARS} more characters]` : line;
    const last = this.queue[this.queue.length - 1];
    // The agent's own messages repeat with changing numbers (back-off delays, attempts); a
    // workload's or the bootstrap's lines fold only when exactly equal (their numbers matter).
    const shape = source === 'agent' ? shapeOf(cut) : cut;
    if (this.fold && last === this.fold.frame && last.source === source && this.fold.shape === shape) {
      this.fold.count++;
      this.fold.text = cut;
      last.lines[last.lines.length - 1] = `${cut} [×${this.fold.count}]`;
      return;
    }
    if (last?.type === 'log' && last.source === source && last.lines.length < OUTBOX.linesPerFrame && charsOf(last) + cut.length <= OUTBOX.charsPerFrame) {
      last.lines.push(cut);
      this.fold = { frame: last, text: cut, shape, count: 1 };
      return;
    }
    const frame: LogFrame = { type: 'log', source, lines: [cut], at: this.now() };
    this.queue.push(frame);
    this.fold = { frame, text: cut, shape, count: 1 };
    const logs = this.queue.filter((m) => m.type === 'log');
    if (logs.length > OUTBOX.maxLogFrames) {
      const oldest = logs[0] as LogFrame;
      this.droppedLines += oldest.lines.length;
      this.queue = this.queue.filter((m) => m !== oldest);
    }
  }

  push(m: AgentMessage): void {
    this.queue.push(m);
  }

  get size(): number {
    return this.queue.length;
  }

  /** Frames to send now: every message that is not a log, and the oldest `maxLogs` log frames. */
  take(maxLogs: number): AgentMessage[] {
    const out: AgentMessage[] = [];
    const keep: AgentMessage[] = [];
    let logs = 0;
    for (const m of this.queue) {
      if (m.type !== 'log') out.push(m);
      else if (logs < maxLogs) {
        logs++;
        if (this.droppedLines) {
          m.lines.unshift(`[agent] ${this.droppedLines} log lines dropped (more than the hub takes)`);
          this.droppedLines = 0;
        }
        out.push(m);
      } else keep.push(m);
    }
    this.queue = keep;
    return out;
  }
}

const charsOf = (f: LogFrame) => f.lines.reduce((n, l) => n + l.length, 0);
/** A line with its numbers taken out: what repeats of one message (back-off, counters) share. */
const shapeOf = (line: string) => line.replace(/\d+(\.\d+)?/g, '#');

/**
 * The JSON text of a frame, within the hub's frame size: a result too large becomes an error
 * result (the command fails with a reason instead of the socket closing with 1009); any other
 * frame too large is null (not sent).
 *
 * @example
 * const text = frameOf({ type: 'result', id, ok: true, data });
 * if (text) ws.send(text);
 */
export function frameOf(m: AgentMessage, max = HUB_MAX_FRAME_BYTES - 1024): string | null {
  const text = JSON.stringify(m);
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return text;
  if (m.type === 'result') return JSON.stringify({ type: 'result', id: m.id, ok: false, error: `result too large to send (${bytes} bytes; the hub takes ${max})` } satisfies AgentMessage);
  return null;
}
