import { useEffect, useState } from 'react';
import { hasSnapshotListing, listInstances, listSnapshots } from '../../api.ts';
import { ErrorBox } from '../../components/ErrorBox.tsx';
import { formatTime } from '../../format.ts';
import type { SnapshotLike } from '../../types.ts';

/**
 * The snapshots card: listed when the API offers GET /v1/snapshots (found in /openapi.json, so
 * no request is made to a route that does not exist); otherwise how instances were bootstrapped.
 */
export function Snapshots() {
  /** Whether the API lists snapshots; undefined until /openapi.json says. */
  const [listed, setListed] = useState<boolean | undefined>(undefined);
  const [items, setItems] = useState<SnapshotLike[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [paths, setPaths] = useState<Record<string, number> | null>(null);

  useEffect(() => {
    let live = true;
    void hasSnapshotListing().then((yes) => live && setListed(yes));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (listed === undefined) return;
    let live = true;
    if (listed) {
      listSnapshots()
        .then((r) => live && setItems(r))
        .catch((err: unknown) => live && setError(err));
    } else {
      // No snapshot listing: summarise how the recent instances were bootstrapped instead.
      listInstances({ limit: 200 })
        .then((r) => {
          const counts: Record<string, number> = {};
          for (const i of r.items) if (i.bootstrapPath) counts[i.bootstrapPath] = (counts[i.bootstrapPath] ?? 0) + 1;
          if (live) setPaths(counts);
        })
        .catch(() => live && setPaths({}));
    }
    return () => {
      live = false;
    };
  }, [listed]);

  return (
    <section className="card" aria-labelledby="snapshots-title" data-testid="snapshots">
      <h2 id="snapshots-title">Snapshots</h2>
      <p className="muted">
        A snapshot is a provider image with Hangar’s install already done, labelled with its bootstrap version; servers booted from one skip the full install
        (bootstrap path “snapshot”); when a snapshot cannot be used they take the full install instead (“fallback”).
      </p>
      {listed === undefined && <p className="muted">Loading…</p>}
      {error !== null && <ErrorBox error={error} title="Could not load snapshots" />}
      {listed && items && <SnapshotTable items={items} />}
      {listed === false && (
        <>
          <p data-testid="snapshots-unavailable">This Hangar’s API does not list snapshots, so none are shown here.</p>
          {paths && (
            <p className="muted">
              Bootstrap paths of the latest instances:{' '}
              {Object.keys(paths).length
                ? Object.entries(paths)
                    .map(([k, n]) => `${k} ×${n}`)
                    .join(', ')
                : 'no instances yet'}
              .
            </p>
          )}
        </>
      )}
    </section>
  );
}

/** The snapshots as a table, or how to build the first one. */
function SnapshotTable({ items }: { items: SnapshotLike[] }) {
  if (!items.length)
    return (
      <p data-testid="snapshots-empty">
        No snapshots yet. Build one with <code>hangar snapshot build --provider hetzner</code> (or <code>digital-ocean</code>); new servers then boot from it.
      </p>
    );
  const text = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v));
  const version = (s: SnapshotLike) => s.bootstrapVersion ?? (s.labels as Record<string, string> | undefined)?.['hangar.dev/bootstrap-version'];
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Snapshot</th>
            <th scope="col">Provider</th>
            <th scope="col">Bootstrap version</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {items.map((s, i) => (
            <tr key={text(s.id ?? i)}>
              <td>
                <strong>{text(s.name ?? s.description ?? s.id)}</strong>
                <span className="sub mono">{text(s.id)}</span>
              </td>
              <td>{text(s.provider)}</td>
              <td className="mono">{text(version(s))}</td>
              <td>{text(s.status ?? 'available')}</td>
              <td>{typeof s.createdAt === 'string' ? formatTime(s.createdAt) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
