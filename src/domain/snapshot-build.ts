import { IllegalTransitionError } from './errors.ts';

/**
 * A snapshot build's states: `pending → building → imaging → done`, and `failed` from any
 * unfinished state.
 *
 * ```
 * pending --builder_created--> building --builder_ready--> imaging --imaged--> done
 *    └──────────────┴───────────fail──────────────┴──────────────> failed
 * ```
 */
export const SNAPSHOT_BUILD_STATUSES = ['pending', 'building', 'imaging', 'done', 'failed'] as const;
export type SnapshotBuildStatus = (typeof SNAPSHOT_BUILD_STATUSES)[number];

/** The unfinished states: a build in one of them has (or gets back) a job. */
export const UNFINISHED_BUILD_STATUSES = ['pending', 'building', 'imaging'] as const satisfies readonly SnapshotBuildStatus[];

/** What can happen to a snapshot build. */
export type SnapshotBuildEvent =
  /** The builder server exists (created, or found by its labels). */
  | { type: 'builder_created' }
  /** The builder reported its install finished and cleaned: image it. */
  | { type: 'builder_ready' }
  /** The snapshot is available and the builder deleted. */
  | { type: 'imaged' }
  | { type: 'fail'; reason: string };

/**
 * Whether a build is finished (done or failed): nothing happens to it any more.
 *
 * @example
 * isBuildFinished('imaging') // → false
 */
export const isBuildFinished = (s: SnapshotBuildStatus): boolean => s === 'done' || s === 'failed';

/**
 * The pure, exhaustive transition function of a snapshot build. Throws
 * {@link IllegalTransitionError} for a transition the machine does not allow.
 *
 * @example
 * snapshotBuildTransition('pending', { type: 'builder_created' }) // → 'building'
 * snapshotBuildTransition('done', { type: 'fail', reason: 'x' })  // throws IllegalTransitionError
 */
export function snapshotBuildTransition(from: SnapshotBuildStatus, event: SnapshotBuildEvent): SnapshotBuildStatus {
  const illegal = () => new IllegalTransitionError(from, event.type, undefined, 'a snapshot build');
  switch (event.type) {
    case 'builder_created':
      if (from !== 'pending') throw illegal();
      return 'building';
    case 'builder_ready':
      if (from !== 'building') throw illegal();
      return 'imaging';
    case 'imaged':
      if (from !== 'imaging') throw illegal();
      return 'done';
    case 'fail':
      if (isBuildFinished(from)) throw illegal();
      return 'failed';
    default: {
      const never: never = event;
      throw new IllegalTransitionError(from, String((never as { type: string }).type), undefined, 'a snapshot build');
    }
  }
}
