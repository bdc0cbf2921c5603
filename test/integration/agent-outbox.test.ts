/**
 * The agent's outbox checked against the hub's own frame schema (src/hub/messages.ts): the agent
 * bundle may not import server parts, so the cross-check lives here.
 */
import { describe, expect, it } from 'vitest';
import { newestWithin } from '../../agent/ops.ts';
import { frameOf, Outbox, OUTBOX } from '../../agent/outbox.ts';
import { AgentMessage } from '../../src/hub/messages.ts';
import { HUB_LOG_RATE_BURST, HUB_MAX_FRAME_BYTES, LOG_MAX_FRAME_CHARS } from '../../src/hub/protocol.ts';

describe('the agent stays within the hub limits', () => {
  it('batches log lines into frames the hub accepts, and bounds the backlog (oldest dropped, counted)', () => {
    const out = new Outbox();
    for (let i = 0; i < 10_000; i++) out.log('workload', `line ${i} ${'x'.repeat(i % 7 === 0 ? 5_000 : 40)}`);
    out.push({ type: 'health', healthy: true });
    const frames = out.take(HUB_LOG_RATE_BURST);
    const logs = frames.filter((m) => m.type === 'log');
    expect(logs.length).toBe(OUTBOX.maxLogFrames);
    expect(logs.length).toBeLessThanOrEqual(HUB_LOG_RATE_BURST);
    expect(frames.some((m) => m.type === 'health')).toBe(true);
    for (const f of frames) {
      const text = frameOf(f)!;
      expect(Buffer.byteLength(text)).toBeLessThan(HUB_MAX_FRAME_BYTES);
      expect(AgentMessage.safeParse(JSON.parse(text)).success).toBe(true);
      if (f.type === 'log') expect(f.lines.join('\n').length).toBeLessThanOrEqual(LOG_MAX_FRAME_CHARS);
    }
    // The newest lines were kept; the first frame says how many older ones were dropped.
    expect(logs[0].lines[0]).toMatch(/^\[agent\] \d+ log lines dropped/);
    expect(logs[logs.length - 1].lines.at(-1)).toMatch(/^line 9999 /);
    expect(out.size).toBe(0);
  });

  it('sends only as many log frames as asked; the rest waits in order', () => {
    const out = new Outbox();
    out.log('agent', 'a');
    out.log('bootstrap', 'b');
    out.push({ type: 'heartbeat' });
    out.log('agent', 'c');
    expect(out.take(1).map((m) => (m.type === 'log' ? m.lines.join() : m.type))).toEqual(['a', 'heartbeat']);
    expect(out.take(5).map((m) => (m.type === 'log' ? m.lines.join() : m.type))).toEqual(['b', 'c']);
  });

  it('a result too large for one frame becomes an error result; other oversized frames are not sent', () => {
    const big = 'y'.repeat(HUB_MAX_FRAME_BYTES);
    const r = JSON.parse(frameOf({ type: 'result', id: 'c1', ok: true, data: { out: big } })!);
    expect(r).toMatchObject({ type: 'result', id: 'c1', ok: false });
    expect(r.error).toMatch(/too large/);
    expect(frameOf({ type: 'health', healthy: false, detail: big })).toBeNull();
  });

  it('a logs answer keeps the newest lines that fit', () => {
    expect(newestWithin(['aaaa', 'bb', 'cc'], 6)).toEqual(['bb', 'cc']);
    expect(newestWithin(['a'.repeat(100)], 10)).toEqual([]);
  });
});
