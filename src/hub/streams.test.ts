import { describe, expect, it } from 'vitest';
import { AgentStreams, isStreamText } from './streams.ts';
import { STREAM_MAX_PER_AGENT } from './limits.ts';

describe('AgentStreams (hub side)', () => {
  it('opens a stream when the agent says so, and rejects with the agent’s reason when it refuses', async () => {
    const frames: string[] = [];
    const s = new AgentStreams((f) => frames.push(String(f)));
    const ok = s.open({ kind: 'tcp', port: 1 });
    const sid = JSON.parse(frames[0]).sid as number;
    expect(JSON.parse(frames[0])).toEqual({ type: 'stream-open', sid, kind: 'tcp', port: 1 });
    expect(s.onText(Buffer.from(JSON.stringify({ type: 'stream-opened', sid })))).toBe(true);
    expect((await ok).sid).toBe(sid);
    const refused = s.open({ kind: 'tcp', port: 2 });
    const sid2 = JSON.parse(frames[1]).sid as number;
    s.onText(Buffer.from(JSON.stringify({ type: 'stream-close', sid: sid2, error: '127.0.0.1:2: ECONNREFUSED' })));
    await expect(refused).rejects.toMatchObject({ status: 502, message: expect.stringContaining('ECONNREFUSED') });
  });

  it('refuses past the per-agent cap with a 429, and drops invalid or unknown stream frames', async () => {
    const s = new AgentStreams(() => {});
    const pending = Array.from({ length: STREAM_MAX_PER_AGENT }, () => s.open({ kind: 'tcp', port: 1 }, 60_000));
    await expect(s.open({ kind: 'tcp', port: 1 })).rejects.toMatchObject({ status: 429 });
    expect(s.onText(Buffer.from('{"type":"stream-ack","sid":"x"}'))).toBe(false);
    expect(s.onText(Buffer.from('{"type":"stream-open","sid":1,"kind":"tcp","port":1}'))).toBe(false);
    expect(s.onBinary(Buffer.from([0, 0, 0, 0, 99, 1]))).toBe(false);
    s.close('test over');
    await Promise.allSettled(pending);
  });

  it('tells stream frames from the rest by their first bytes', () => {
    expect(isStreamText(Buffer.from('{"type":"stream-ack","sid":1,"bytes":2}'))).toBe(true);
    expect(isStreamText(Buffer.from('{"type":"heartbeat"}'))).toBe(false);
  });
});
