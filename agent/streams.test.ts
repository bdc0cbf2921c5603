import { describe, expect, it } from 'vitest';
import { refusal } from './streams.ts';

describe('what the agent opens', () => {
  it('loopback ports 1-65535 only; a shell only with exec enabled and a sane size', () => {
    expect(refusal({ type: 'stream-open', sid: 1, kind: 'tcp', port: 18789 })).toBeNull();
    expect(refusal({ type: 'stream-open', sid: 1, kind: 'tcp', port: 0 })).toMatch(/port/);
    expect(refusal({ type: 'stream-open', sid: 1, kind: 'tcp', port: 70000 })).toMatch(/port/);
    expect(refusal({ type: 'stream-open', sid: 1, kind: 'pty', cols: 80, rows: 24 }, true)).toBeNull();
    expect(refusal({ type: 'stream-open', sid: 1, kind: 'pty', cols: 80, rows: 24 }, false)).toMatch(/exec is disabled/);
    expect(refusal({ type: 'stream-open', sid: 1, kind: 'pty', cols: 0, rows: 24 })).toMatch(/terminal size/);
    expect(refusal({ type: 'stream-open', sid: 1, kind: 'pty', cols: 80, rows: 24, argv: Array(100).fill('x') })).toMatch(/at most/);
    expect(refusal({ type: 'stream-open', sid: 1, kind: 'udp' } as never)).toMatch(/unknown stream kind/);
  });
});
