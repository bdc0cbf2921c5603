import { UnauthorizedError, ValidationError } from '../../domain/errors.ts';
import { isBuildFinished, type SnapshotBuildStatus } from '../../domain/snapshot-build.ts';
import { tokenMatches } from '../../domain/tokens.ts';
import { isUuid } from '../../domain/ids.ts';
import type { BuildStore, SnapshotBuildRow } from './build-store.ts';

/** What a builder server posts to `/v1/snapshot-builds/:id/ready`. */
export interface ReadyReport {
  ok?: unknown;
  bootstrapVersion?: unknown;
  message?: unknown;
}

/**
 * Whether `token` is the build token of build `id` (compared by hash): the API's `builder` access.
 *
 * @example
 * await builderAuthorized(store, id, token) // → false for any other token
 */
export async function builderAuthorized(store: BuildStore, id: string, token: string | null): Promise<boolean> {
  if (!token || !isUuid(id)) return false;
  const row = await store.find(id);
  return Boolean(row && tokenMatches(token, row.buildTokenHash));
}

/**
 * Record a builder's report (ok, or a failure with its message) once: a retried report, or one
 * for a finished build, changes nothing. A bootstrap version other than the build's is a failure.
 * Returns the build and whether this call recorded the report.
 *
 * @example
 * const { row, recorded } = await recordReady(store, id, token, { ok: true, bootstrapVersion });
 */
export async function recordReady(store: BuildStore, id: string, token: string | null, body: ReadyReport): Promise<{ row: SnapshotBuildRow; recorded: boolean }> {
  if (!token) throw new UnauthorizedError('missing build token');
  const row = await store.find(id);
  if (!row || !tokenMatches(token, row.buildTokenHash)) throw new UnauthorizedError('invalid build token');
  if (typeof body?.ok !== 'boolean') throw new ValidationError('ok must be true or false', [{ field: 'ok', message: 'boolean required' }]);
  if (row.readyAt || isBuildFinished(row.status as SnapshotBuildStatus)) return { row, recorded: false }; // the builder's curl retried
  const message = typeof body.message === 'string' ? body.message.slice(0, 2000) : null;
  const versionNote = typeof body.bootstrapVersion === 'string' && body.bootstrapVersion !== row.bootstrapVersion ? ` (builder reports bootstrap version ${body.bootstrapVersion}, expected ${row.bootstrapVersion})` : '';
  const ok = body.ok && !versionNote;
  const next = await store.note(
    id,
    { actor: 'builder', kind: ok ? 'info' : 'warning', message: ok ? 'builder reported ready: install finished and cleaned' : `builder reported failure: ${message ?? 'install failed'}${versionNote}` },
    { readyAt: new Date(), readyOk: ok, readyMessage: ok ? message : `${message ?? 'install failed'}${versionNote}` },
  );
  return { row: next, recorded: true };
}
