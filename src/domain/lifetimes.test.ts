import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDuration, idleDeadline, isActivity, lifetimeReason, lifetimeVerdict, parseDuration, timeLeft, type LifetimeView } from './lifetimes.ts';

const at = (s: number) => new Date(s * 1000);
const view = (v: Partial<LifetimeView>): LifetimeView => ({ status: 'running', expiresAt: null, idleStopSeconds: null, lastActiveAt: null, runningAt: null, ...v });

describe('durations', () => {
  it('parses units, compounds and plain seconds; refuses the rest', () => {
    expect(parseDuration('8h')).toBe(28800);
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('2d')).toBe(172800);
    expect(parseDuration('90')).toBe(90);
    for (const bad of ['', 'h', '8x', '-1h', '1.5h', '8 h']) expect(parseDuration(bad)).toBeNull();
  });
  it('property: format then parse is the identity', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 ** 8 }), (s) => {
      expect(parseDuration(formatDuration(s))).toBe(s);
    }));
  });
});

describe('lifetimeVerdict', () => {
  it('expires a live instance at its TTL, whatever its state short of stopping', () => {
    for (const status of ['pending', 'provisioning', 'running', 'hibernating', 'hibernated']) {
      expect(lifetimeVerdict(view({ status, expiresAt: at(100) }), at(100)).due).toBe('ttl_expired');
    }
    for (const status of ['stopping', 'stopped', 'failed']) expect(lifetimeVerdict(view({ status, expiresAt: at(100) }), at(200))).toEqual({ due: null, next: null });
  });
  it('idles out a running instance from its last activity, not before', () => {
    const v = view({ idleStopSeconds: 60, lastActiveAt: at(1000), runningAt: at(500) });
    expect(lifetimeVerdict(v, at(1059))).toEqual({ due: null, next: at(1060) });
    expect(lifetimeVerdict(v, at(1060)).due).toBe('idle_stop');
    // Running since later than the last report: counts from running.
    expect(idleDeadline(view({ idleStopSeconds: 60, lastActiveAt: at(10), runningAt: at(500) }))).toEqual(at(560));
    expect(lifetimeVerdict({ ...v, status: 'hibernated' }, at(5000)).due).toBeNull();
  });
  it('TTL wins over idle, and the next wake is the earlier deadline', () => {
    const v = view({ expiresAt: at(2000), idleStopSeconds: 60, lastActiveAt: at(1000) });
    expect(lifetimeVerdict(v, at(2000)).due).toBe('ttl_expired');
    expect(lifetimeVerdict(v, at(1010)).next).toEqual(at(1060));
    expect(lifetimeVerdict({ ...v, lastActiveAt: at(1990) }, at(1995)).next).toEqual(at(2000));
  });
  it('property: never due before its deadlines, always due at or after one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 20_000 }), (active, idle, now) => {
        const v = view({ idleStopSeconds: idle, lastActiveAt: at(active) });
        const r = lifetimeVerdict(v, at(now));
        expect(r.due === 'idle_stop').toBe(now >= active + idle);
        if (!r.due) expect(r.next!.getTime()).toBeGreaterThan(at(now).getTime());
      }),
    );
  });
});

describe('activity and words', () => {
  it('counts sessions, connections, traffic and CPU from 2%', () => {
    expect(isActivity({ cpuPercent: 1.9 })).toBe(false);
    expect(isActivity({ cpuPercent: 2 })).toBe(true);
    expect(isActivity({ sessions: 1 })).toBe(true);
    expect(isActivity({ connections: 1, cpuPercent: 0 })).toBe(true);
    expect(isActivity({})).toBe(false);
  });
  it('says why', () => {
    expect(lifetimeReason('idle_stop', { idleStopSeconds: 1800, lastActiveAt: new Date('2026-01-01T14:02:00Z'), workload: 'openclaw' })).toBe('idle 30m: no gateway session and < 2% CPU since 14:02 UTC: stopping (hibernate)');
    expect(lifetimeReason('ttl_expired', { ttlSeconds: 28800, expiresAt: new Date('2026-01-01T22:00:00Z'), workload: 'process' })).toBe('ttl 8h expired at 22:00 UTC: destroying');
    expect(timeLeft(at(7800), at(0))).toBe('2h10m left');
    expect(timeLeft(at(0), at(1))).toBe('due now');
    expect(timeLeft(null, at(1))).toBeNull();
  });
});
