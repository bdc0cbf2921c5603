import { z } from 'zod';
import { HangarError } from '../domain/errors.ts';
import { encodeStreamData, StreamMux, type StreamChannel, type StreamControl, type StreamTarget } from '../domain/stream-channel.ts';
import { TokenBucket } from './bucket.ts';
import { HUB_STREAM_FRAME_BURST, HUB_STREAM_FRAME_RATE_PER_SECOND, MAX_DETAIL_CHARS, STREAM_LIMITS, STREAM_MAX_PER_AGENT, STREAM_OPEN_TIMEOUT_MS } from './limits.ts';

const sid = z.number().int().min(1).max(0xffffffff);
/** Stream control frames an agent may send (the hub opens streams; the agent never does). */
const AgentStreamControl = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stream-opened'), sid }),
  z.object({ type: z.literal('stream-ack'), sid, bytes: z.number().int().min(0) }),
  z.object({ type: z.literal('stream-eof'), sid }),
  z.object({ type: z.literal('stream-exit'), sid, code: z.number().int().min(-1).max(255) }),
  z.object({ type: z.literal('stream-close'), sid, error: z.string().max(MAX_DETAIL_CHARS).optional() }),
]);

/** Whether a text frame is a stream control frame (agents send `{"type":"stream-…`), judged without parsing it. */
export const isStreamText = (raw: Buffer): boolean => raw.subarray(0, 16).toString('latin1') === '{"type":"stream-';

/**
 * The streams of one agent socket, hub side: opens streams on the agent, routes the agent's
 * stream frames (binary data, `stream-*` control) to them, and keeps the per-agent caps
 * (STREAM_MAX_PER_AGENT open at once; stream frames within their own rate).
 *
 * @example
 * const streams = new AgentStreams((f) => ws.send(f));
 * const ch = await streams.open({ kind: 'tcp', port: 18789 });
 * socket.pipe(ch).pipe(socket);
 */
export class AgentStreams {
  readonly mux: StreamMux;
  private readonly frames = new TokenBucket(HUB_STREAM_FRAME_RATE_PER_SECOND, HUB_STREAM_FRAME_BURST);

  constructor(send: (frame: string | Buffer) => void) {
    this.mux = new StreamMux(
      { data: (id, payload) => send(encodeStreamData(id, payload)), control: (m: StreamControl) => send(JSON.stringify(m)) },
      STREAM_LIMITS,
      STREAM_MAX_PER_AGENT,
    );
  }

  /** Open a stream on the agent; rejects with why the agent refused it, or 429 at the cap. */
  open(target: StreamTarget, timeoutMs = STREAM_OPEN_TIMEOUT_MS): Promise<StreamChannel> {
    const id = this.mux.nextId();
    const ch = this.mux.add(id);
    if (!ch) return Promise.reject(new HangarError('too-many-streams', `this agent already has ${STREAM_MAX_PER_AGENT} streams open (shells, port-forwards, proxied requests); close one and retry`, 429));
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        ch.off('opened', onOpened);
        ch.off('close', onClose);
        if (err) {
          ch.destroy();
          reject(err);
        } else resolve(ch);
      };
      const onOpened = () => done();
      let why = '';
      ch.once('error', (e) => (why = e.message));
      const onClose = () => done(new HangarError('stream-refused', `the agent refused the stream: ${why || 'closed'}`, 502));
      const timer = setTimeout(() => done(new HangarError('stream-timeout', `the agent did not answer within ${timeoutMs / 1000} s; check it with hangar status`, 504)), timeoutMs);
      ch.once('opened', onOpened);
      ch.once('close', onClose);
      this.mux.send({ type: 'stream-open', sid: id, ...target });
    });
  }

  /** A binary frame from the agent; false when it is to be dropped (no such stream, over the rate). */
  onBinary(raw: Buffer): boolean {
    return this.frames.take() && this.mux.onData(raw);
  }

  /** A `stream-*` text frame from the agent; false when it is to be dropped (invalid, unknown stream, over the rate). */
  onText(raw: Buffer): boolean {
    if (!this.frames.take()) return false;
    let parsed;
    try {
      parsed = AgentStreamControl.safeParse(JSON.parse(raw.toString()));
    } catch {
      return false;
    }
    return parsed.success && this.mux.onControl(parsed.data);
  }

  /** The socket closed: every stream fails with `why`. */
  close(why: string): void {
    this.mux.closeAll(why);
  }
}
