/**
 * Multiplexed byte streams over one message channel (the agent's WebSocket): a shell's PTY, a
 * forwarded TCP connection, a proxied HTTP request. Both ends use the same code: the hub in
 * src/hub/streams.ts, the agent in agent/streams.ts.
 *
 * Wire: data travels in binary frames `[0x00][stream id: u32 BE][bytes]`; control travels in
 * JSON text frames (`StreamControl`). Flow control is by credit: a sender may have at most
 * `windowBytes` of a stream unacknowledged; the receiver acknowledges (`stream-ack`) what its
 * consumer has taken, so a slow reader pauses the writer at the far end instead of filling memory.
 */
import { Duplex } from 'node:stream';

/** What a stream connects to on the server. */
export type StreamTarget =
  | { kind: 'pty'; cols: number; rows: number; argv?: string[] }
  | { kind: 'tcp'; port: number };

/** Control frames of a stream (JSON text frames, both directions unless noted). */
export type StreamControl =
  /** hub → agent: open stream `sid` to a target. */
  | ({ type: 'stream-open'; sid: number } & StreamTarget)
  /** agent → hub: the stream is connected. */
  | { type: 'stream-opened'; sid: number }
  /** The receiver's consumer took `bytes`: the sender may send that much more. */
  | { type: 'stream-ack'; sid: number; bytes: number }
  /** hub → agent: the terminal's new size. */
  | { type: 'stream-resize'; sid: number; cols: number; rows: number }
  /** No more data in this direction (TCP half-close). */
  | { type: 'stream-eof'; sid: number }
  /** agent → hub: the PTY's process ended (exit code, or 128+signal). */
  | { type: 'stream-exit'; sid: number; code: number }
  /** The stream is gone (refused, failed or done); `error` says why when it failed. */
  | { type: 'stream-close'; sid: number; error?: string };

export const STREAM_DATA_FRAME = 0;

/**
 * A data frame: kind byte, stream id, payload.
 *
 * @example
 * decodeStreamData(encodeStreamData(7, Buffer.from('hi'))) // { sid: 7, payload: <Buffer 68 69> }
 */
export function encodeStreamData(sid: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(STREAM_DATA_FRAME, 0);
  head.writeUInt32BE(sid, 1);
  return Buffer.concat([head, payload]);
}

/** The stream id and bytes of a data frame; null when it is not one. */
export function decodeStreamData(frame: Buffer): { sid: number; payload: Buffer } | null {
  if (frame.length < 5 || frame.readUInt8(0) !== STREAM_DATA_FRAME) return null;
  return { sid: frame.readUInt32BE(1), payload: frame.subarray(5) };
}

/** How a stream's frames leave this end. */
export interface StreamWire {
  data(sid: number, payload: Buffer): void;
  control(m: StreamControl): void;
}

export interface StreamLimits {
  /** Bytes a sender may have unacknowledged on one stream. */
  windowBytes: number;
  /** Largest payload of one data frame. */
  chunkBytes: number;
  /** Bytes one stream may carry in each direction before it is closed. */
  maxBytes: number;
}

/**
 * One end of a stream, as a Node Duplex with backpressure both ways: what is written goes to the
 * far end (within the credit it granted), what the far end sends is read here. Emits `exit`
 * (code) when the far end's process ended; `resize()` sends a terminal size.
 *
 * @example
 * const ch = new StreamChannel(1, wire, limits);
 * socket.pipe(ch).pipe(socket);
 * ch.receive(payload); ch.acked(4096); // from the wire
 */
export class StreamChannel extends Duplex {
  private credit: number;
  private readonly waiters: (() => void)[] = [];
  /** Bytes pushed to our reader and not acknowledged yet. */
  private unacked = 0;
  /** Acknowledgeable bytes held back because our reader is full. */
  private held = 0;
  private ackTimer: NodeJS.Immediate | null = null;
  private sent = 0;
  private received = 0;
  /** The far end closed the stream (no close frame goes back). */
  private remoteGone = false;
  /** The exit code of the far end's process, once known. */
  exitCode: number | null = null;

  constructor(
    readonly sid: number,
    private readonly wire: StreamWire,
    private readonly limits: StreamLimits,
  ) {
    super({ allowHalfOpen: true, highWaterMark: limits.chunkBytes });
    this.credit = limits.windowBytes;
  }

  // ── from the wire ──

  /** Bytes the far end sent. */
  receive(payload: Buffer): void {
    if (this.destroyed) return;
    this.received += payload.length;
    this.unacked += payload.length;
    if (this.unacked > this.limits.windowBytes) return this.fail(`the far end sent more than its window of ${this.limits.windowBytes} bytes`);
    if (this.received > this.limits.maxBytes) return this.fail(`stream byte limit of ${this.limits.maxBytes} reached`);
    if (this.push(payload)) this.ack(payload.length);
    else this.held += payload.length;
  }

  /** The far end's reader took `bytes`. */
  acked(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 0 || this.credit + bytes > this.limits.windowBytes) return this.fail('the far end acknowledged bytes never sent');
    this.credit += bytes;
    this.wake();
  }

  /** The far end will send nothing more. */
  remoteEnd(): void {
    if (!this.destroyed) this.push(null);
  }

  /** The far end's process exited. */
  remoteExit(code: number): void {
    this.exitCode = code;
    this.emit('exit', code);
  }

  /** The far end closed the stream (with the reason when it failed). */
  remoteClose(error?: string): void {
    this.remoteGone = true;
    this.wake();
    if (error) return void this.destroy(new Error(error));
    // Done: what was received is still read to its end; what we still write is dropped.
    if (!this.readableEnded) this.push(null);
    if (!this.writableEnded) this.end();
  }

  // ── to the wire ──

  /** Tell the far end the terminal's size. */
  resize(cols: number, rows: number): void {
    if (!this.destroyed && !this.remoteGone) this.wire.control({ type: 'stream-resize', sid: this.sid, cols, rows });
  }

  /** Tell the far end our process exited (agent side). */
  sendExit(code: number): void {
    if (!this.destroyed && !this.remoteGone) this.wire.control({ type: 'stream-exit', sid: this.sid, code });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.sendAll(chunk).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.destroyed && !this.remoteGone) this.wire.control({ type: 'stream-eof', sid: this.sid });
    cb();
  }

  override _read(): void {
    if (this.held > 0) {
      const n = this.held;
      this.held = 0;
      this.ack(n);
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.ackTimer) clearImmediate(this.ackTimer);
    if (!this.remoteGone) {
      this.remoteGone = true;
      this.wire.control({ type: 'stream-close', sid: this.sid, ...(err ? { error: err.message.slice(0, 500) } : {}) });
    }
    this.wake();
    cb(err);
  }

  private async sendAll(buf: Buffer): Promise<void> {
    for (let off = 0; off < buf.length; ) {
      while (this.credit <= 0 && !this.destroyed && !this.remoteGone) await new Promise<void>((r) => this.waiters.push(r));
      if (this.remoteGone) return; // the far end is gone: nothing reads this any more
      if (this.destroyed) throw new Error('stream closed');
      const n = Math.min(buf.length - off, this.limits.chunkBytes, this.credit);
      this.sent += n;
      if (this.sent > this.limits.maxBytes) throw new Error(`stream byte limit of ${this.limits.maxBytes} reached`);
      this.credit -= n;
      this.wire.data(this.sid, buf.subarray(off, off + n));
      off += n;
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Acknowledge, coalescing the acks of one tick into one frame. */
  private pendingAck = 0;
  private ack(n: number): void {
    this.unacked -= n;
    this.pendingAck += n;
    if (this.ackTimer) return;
    this.ackTimer = setImmediate(() => {
      this.ackTimer = null;
      const bytes = this.pendingAck;
      this.pendingAck = 0;
      if (bytes > 0 && !this.destroyed && !this.remoteGone) this.wire.control({ type: 'stream-ack', sid: this.sid, bytes });
    });
  }

  private fail(why: string): void {
    this.destroy(new Error(why));
  }
}

/** How many closed stream ids a mux remembers (their late frames are ignored quietly). */
const RECENTLY_CLOSED_KEPT = 1024;

/**
 * The streams of one agent socket: routes frames to their channel, caps how many are open.
 *
 * @example
 * const mux = new StreamMux(wire, limits, 8);
 * const ch = mux.add(mux.nextId()); // hub side; the agent adds the ids the hub opens
 * mux.onData(frame); mux.onControl(m);
 */
export class StreamMux {
  private readonly channels = new Map<number, StreamChannel>();
  /** Streams closed lately: frames the far end sent before it learnt so are ignored, not errors. */
  private readonly recentlyClosed = new Set<number>();
  private next = 1;

  constructor(
    private readonly wire: StreamWire,
    readonly limits: StreamLimits,
    readonly maxStreams: number,
  ) {}

  get size(): number {
    return this.channels.size;
  }

  /** A fresh stream id (the opening side allocates). */
  nextId(): number {
    const id = this.next;
    this.next = this.next >= 0xffffffff ? 1 : this.next + 1;
    return id;
  }

  /** Send a control frame (`stream-open`, which names a stream the far end does not know yet). */
  send(m: StreamControl): void {
    this.wire.control(m);
  }

  get(sid: number): StreamChannel | undefined {
    return this.channels.get(sid);
  }

  /** A channel for `sid`; null when the cap is reached or the id is taken. */
  add(sid: number): StreamChannel | null {
    if (this.channels.size >= this.maxStreams || this.channels.has(sid)) return null;
    const ch = new StreamChannel(sid, this.wire, this.limits);
    this.channels.set(sid, ch);
    ch.on('close', () => {
      if (this.channels.get(sid) !== ch) return;
      this.channels.delete(sid);
      this.recentlyClosed.add(sid);
      if (this.recentlyClosed.size > RECENTLY_CLOSED_KEPT) this.recentlyClosed.delete(this.recentlyClosed.values().next().value!);
    });
    ch.on('error', () => {});
    return ch;
  }

  /** A binary frame from the far end; false when it names no open stream. */
  onData(frame: Buffer): boolean {
    const d = decodeStreamData(frame);
    const ch = d && this.channels.get(d.sid);
    if (d && !ch && this.recentlyClosed.has(d.sid)) return true;
    if (!d || !ch) return false;
    ch.receive(d.payload);
    return true;
  }

  /** A control frame for an open stream (not `stream-open`); false when it names none. */
  onControl(m: StreamControl): boolean {
    const ch = this.channels.get(m.sid);
    if (!ch) return this.recentlyClosed.has(m.sid);
    switch (m.type) {
      case 'stream-ack':
        ch.acked(m.bytes);
        break;
      case 'stream-eof':
        ch.remoteEnd();
        break;
      case 'stream-exit':
        ch.remoteExit(m.code);
        break;
      case 'stream-close':
        ch.remoteClose(m.error);
        break;
      case 'stream-resize':
        ch.emit('resize', m.cols, m.rows);
        break;
      case 'stream-opened':
        ch.emit('opened');
        break;
      default:
        return false;
    }
    return true;
  }

  /** Close every stream (the socket went away). */
  closeAll(why: string): void {
    for (const ch of this.channels.values()) ch.remoteClose(why);
    this.channels.clear();
  }
}
