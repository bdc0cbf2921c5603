import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from './errors.ts';
import { isBuildFinished, SNAPSHOT_BUILD_STATUSES, snapshotBuildTransition, type SnapshotBuildEvent, type SnapshotBuildStatus } from './snapshot-build.ts';

const EVENTS: SnapshotBuildEvent[] = [{ type: 'builder_created' }, { type: 'builder_ready' }, { type: 'imaged' }, { type: 'fail', reason: 'r' }];

describe('snapshot build transition', () => {
  it('walks the happy path: pending → building → imaging → done', () => {
    let s: SnapshotBuildStatus = 'pending';
    s = snapshotBuildTransition(s, { type: 'builder_created' });
    expect(s).toBe('building');
    s = snapshotBuildTransition(s, { type: 'builder_ready' });
    expect(s).toBe('imaging');
    s = snapshotBuildTransition(s, { type: 'imaged' });
    expect(s).toBe('done');
  });

  it('fails from every unfinished state, never from a finished one', () => {
    for (const s of ['pending', 'building', 'imaging'] as const) expect(snapshotBuildTransition(s, { type: 'fail', reason: 'x' })).toBe('failed');
    for (const s of ['done', 'failed'] as const) expect(() => snapshotBuildTransition(s, { type: 'fail', reason: 'x' })).toThrow(IllegalTransitionError);
  });

  it('refuses a skipped step with a typed 409 naming the build and both sides', () => {
    let err: unknown;
    try {
      snapshotBuildTransition('pending', { type: 'imaged' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect((err as Error).message).toBe('cannot apply imaged to a snapshot build that is pending');
    expect((err as IllegalTransitionError).status).toBe(409);
    expect(() => snapshotBuildTransition('building', { type: 'imaged' })).toThrow(IllegalTransitionError);
    expect(() => snapshotBuildTransition('imaging', { type: 'builder_created' })).toThrow(IllegalTransitionError);
  });

  it('is total: every state × event yields a known state or throws the typed error; finished states accept nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SNAPSHOT_BUILD_STATUSES), fc.constantFrom(...EVENTS), (s, e) => {
        let next: SnapshotBuildStatus | null = null;
        try {
          next = snapshotBuildTransition(s, e);
        } catch (err) {
          expect(err).toBeInstanceOf(IllegalTransitionError);
        }
        if (next !== null) expect(SNAPSHOT_BUILD_STATUSES).toContain(next);
        if (isBuildFinished(s)) expect(next).toBeNull();
      }),
    );
  });
});
