import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';

const logsOf = (out: Outbox) => out.take(100).flatMap((m) => (m.type === 'log' ? [m] : []));

describe('Outbox log lines', () => {
  it('stamps each frame with the agent’s own time of its first line', () => {
    let now = 1_700_000_000_000;
    const out = new Outbox(() => now);
    out.log('workload', 'first');
    now += 5_000;
    out.log('workload', 'second'); // same frame: keeps the first line's time
    out.push({ type: 'heartbeat' });
    now += 5_000;
    out.log('workload', 'third');
    expect(logsOf(out).map((f) => [f.at, f.lines])).toEqual([
      [1_700_000_000_000, ['first', 'second']],
      [1_700_000_010_000, ['third']],
    ]);
  });

  it('folds the agent’s repeated back-off lines into one with a count, the latest text kept', () => {
    const out = new Outbox(() => 0);
    out.log('agent', 'hub unreachable (ECONNREFUSED); reconnecting in 1s (attempt 1)');
    for (let i = 2; i <= 40; i++) out.log('agent', `hub unreachable (ECONNREFUSED); reconnecting in ${2 ** Math.min(i, 5)}s (attempt ${i})`);
    out.log('agent', 'connected to hub');
    out.log('agent', 'connected to hub');
    out.log('agent', 'enrolled');
    expect(logsOf(out)[0].lines).toEqual(['hub unreachable (ECONNREFUSED); reconnecting in 32s (attempt 40) [×40]', 'connected to hub [×2]', 'enrolled']);
  });

  it('folds a workload’s lines only when exactly equal, and keeps their order', () => {
    const out = new Outbox(() => 0);
    for (const l of ['processed 1 item', 'processed 2 items', 'tick', 'tick', 'tick', 'processed 3 items']) out.log('workload', l);
    expect(logsOf(out)[0].lines).toEqual(['processed 1 item', 'processed 2 items', 'tick [×3]', 'processed 3 items']);
  });

  it('does not fold across sources or into a frame already sent', () => {
    const out = new Outbox(() => 0);
    out.log('agent', 'retrying');
    expect(logsOf(out)[0].lines).toEqual(['retrying']);
    out.log('agent', 'retrying');
    out.log('bootstrap', 'retrying');
    expect(logsOf(out).map((f) => f.lines)).toEqual([['retrying'], ['retrying']]);
  });
});
