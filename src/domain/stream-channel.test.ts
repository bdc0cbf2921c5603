import { describe, expect, it } from 'vitest';
import { decodeStreamData, encodeStreamData, StreamMux, type StreamControl } from './stream-channel.ts';

const LIMITS = { windowBytes: 1024, chunkBytes: 256, maxBytes: 1_000_000 };

/** Two muxes wired back to back, as the hub and an agent are over their socket. */
function pair(limits = LIMITS) {
  const sent = { ab: 0, maxInFlight: 0 };
  let inFlight = 0;
  let a!: StreamMux;
  let b!: StreamMux;
  a = new StreamMux({ data: (sid, p) => setImmediate(() => ((sent.ab += p.length), (inFlight += p.length), (sent.maxInFlight = Math.max(sent.maxInFlight, inFlight)), b.onData(encodeStreamData(sid, p)))), control: (m) => setImmediate(() => (m.type === 'stream-open' ? null : b.onControl(m))) }, limits, 2);
  b = new StreamMux({ data: (sid, p) => setImmediate(() => a.onData(encodeStreamData(sid, p))), control: (m: StreamControl) => setImmediate(() => (m.type === 'stream-ack' && (inFlight -= m.bytes), a.onControl(m))) }, limits, 2);
  return { a, b, sent };
}

describe('stream data frames', () => {
  it('carry a stream id and bytes; anything else is not one', () => {
    expect(decodeStreamData(encodeStreamData(7, Buffer.from('hi')))).toEqual({ sid: 7, payload: Buffer.from('hi') });
    expect(decodeStreamData(Buffer.from([1, 0, 0, 0, 1]))).toBeNull();
    expect(decodeStreamData(Buffer.from([0, 0]))).toBeNull();
  });
});

describe('StreamChannel over a StreamMux', () => {
  it('relays bytes both ways, never more in flight than the window while the reader is slow', async () => {
    const { a, b, sent } = pair();
    const ca = a.add(1)!;
    const cb = b.add(1)!;
    cb.pause(); // a slow reader: nothing is acknowledged until it reads
    const big = Buffer.alloc(20_000, 7);
    ca.end(big);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent.ab).toBeLessThanOrEqual(LIMITS.windowBytes + cb.readableHighWaterMark);
    const chunks: Buffer[] = [];
    cb.on('data', (d: Buffer) => chunks.push(d));
    cb.resume();
    await new Promise((r) => cb.once('end', r));
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    expect(sent.maxInFlight).toBeLessThanOrEqual(LIMITS.windowBytes);
  });

  it('passes an exit code and a close, and fails a stream whose far end overruns its window', async () => {
    const { a, b } = pair();
    const ca = a.add(1)!;
    const cb = b.add(1)!;
    const exit = new Promise((r) => ca.once('exit', r));
    cb.sendExit(3);
    expect(await exit).toBe(3);
    const err = new Promise<Error>((r) => ca.once('error', r));
    ca.receive(Buffer.alloc(LIMITS.windowBytes + 1));
    expect((await err).message).toMatch(/more than its window/);
    void cb;
  });

  it('caps the streams open at once and reports frames for unknown streams', () => {
    const { a } = pair();
    expect(a.add(1)).not.toBeNull();
    expect(a.add(1)).toBeNull(); // taken
    expect(a.add(2)).not.toBeNull();
    expect(a.add(3)).toBeNull(); // cap of 2
    expect(a.onData(encodeStreamData(99, Buffer.from('x')))).toBe(false);
    expect(a.onControl({ type: 'stream-ack', sid: 99, bytes: 1 })).toBe(false);
  });

  it('refuses acknowledgements of bytes never sent', async () => {
    const { a } = pair();
    const ca = a.add(1)!;
    const err = new Promise<Error>((r) => ca.once('error', r));
    ca.acked(10);
    expect((await err).message).toMatch(/never sent/);
  });
});

describe('late frames', () => {
  it('for a stream closed lately are ignored quietly (not counted against the agent), for one never opened are not', async () => {
    const { a } = pair();
    const ch = a.add(5)!;
    ch.destroy();
    await new Promise((r) => setImmediate(r));
    expect(a.onControl({ type: 'stream-close', sid: 5 })).toBe(true);
    expect(a.onData(encodeStreamData(5, Buffer.from('late')))).toBe(true);
    expect(a.onData(encodeStreamData(6, Buffer.from('never')))).toBe(false);
  });
});
