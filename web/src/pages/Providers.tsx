import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { catalogue, useLoad } from '../catalogue.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatBytes, formatPrice, formatTime, PROVIDER_LABELS } from '../format.ts';
import { useTitle } from '../hooks.ts';
import type { Instance, Location, Page, ProviderInfo, ServerType } from '../types.ts';

/** A snapshot (or image) as a snapshots endpoint may describe it; rendered field by field. */
type SnapshotLike = Record<string, unknown>;

/**
 * What this Hangar can provision on: each configured provider with its locations and server
 * types (with prices), and the snapshots Hangar has built, when the API lists them.
 */
export function Providers() {
  useTitle('Providers and snapshots');
  const [refreshKey, setRefreshKey] = useState(0);
  const providers = useLoad(() => catalogue.providers(refreshKey > 0), `providers-${refreshKey}`);

  return (
    <section className="page" aria-labelledby="providers-title">
      <div className="page-head">
        <div>
          <h1 id="providers-title">Providers and snapshots</h1>
          <p className="muted">Where this Hangar can put servers. Catalogues are cached by the server for an hour.</p>
        </div>
        <button type="button" className="btn" onClick={() => setRefreshKey((k) => k + 1)} data-testid="refresh-catalogue">
          Refresh from providers
        </button>
      </div>
      {providers.state === 'loading' && (
        <p className="muted loading" role="status">
          Loading providers…
        </p>
      )}
      {providers.state === 'error' && <ErrorBox error={providers.error} title="Could not load providers" />}
      {providers.state === 'ok' && (
        <>
          {providers.value.map((p) => (
            <ProviderCard key={`${p.name}-${refreshKey}`} provider={p} refresh={refreshKey > 0} />
          ))}
          {providers.value.length < 4 && <NotConfigured configured={providers.value.map((p) => p.name)} />}
          <Snapshots />
        </>
      )}
    </section>
  );
}

function ProviderCard({ provider, refresh }: { provider: ProviderInfo; refresh: boolean }) {
  const types = useLoad(() => catalogue.serverTypes(provider.name, refresh), `${provider.name}-${refresh}`);
  const locations = useLoad(() => catalogue.locations(provider.name, refresh), `${provider.name}-${refresh}`);
  return (
    <section className="card provider-card" aria-labelledby={`provider-${provider.name}`} data-testid={`provider-${provider.name}`}>
      <h2 id={`provider-${provider.name}`}>
        {PROVIDER_LABELS[provider.name] ?? provider.name} <code>{provider.name}</code>
      </h2>
      <div className="stat-row">
        <span>
          User-data limit <strong>{formatBytes(provider.userDataLimit)}</strong>
        </span>
        {locations.state === 'ok' && (
          <span>
            <strong>{locations.value.length}</strong> {locations.value.length === 1 ? 'location' : 'locations'}
          </span>
        )}
        {types.state === 'ok' && (
          <span>
            <strong>{types.value.length}</strong> server {types.value.length === 1 ? 'type' : 'types'}
          </span>
        )}
      </div>
      <h3>Locations</h3>
      {locations.state === 'loading' && <p className="muted">Loading…</p>}
      {locations.state === 'error' && <ErrorBox error={locations.error} title="Could not load locations" />}
      {locations.state === 'ok' && <LocationChips items={locations.value} />}
      <h3>Server types</h3>
      {types.state === 'loading' && <p className="muted">Loading…</p>}
      {types.state === 'error' && <ErrorBox error={types.error} title="Could not load server types" />}
      {types.state === 'ok' && <TypesTable items={types.value} />}
    </section>
  );
}

function LocationChips({ items }: { items: Location[] }) {
  if (!items.length) return <p className="muted">None.</p>;
  return (
    <div className="chips">
      {items.map((l) => (
        <span className="chip" key={l.name} title={l.description}>
          <strong>{l.name}</strong>
          {l.city ? ` · ${l.city}${l.country ? `, ${l.country}` : ''}` : l.description ? ` · ${l.description}` : ''}
        </span>
      ))}
    </div>
  );
}

function TypesTable({ items }: { items: ServerType[] }) {
  if (!items.length) return <p className="muted">None.</p>;
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col" className="num">
              vCPU
            </th>
            <th scope="col" className="num">
              Memory
            </th>
            <th scope="col" className="num hide-sm">
              Disk
            </th>
            <th scope="col" className="hide-sm">
              Arch
            </th>
            <th scope="col" className="num">
              Monthly
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((t) => {
            const monthly = t.prices.map((p) => p.monthly);
            const lo = monthly.length ? Math.min(...monthly) : null;
            const hi = monthly.length ? Math.max(...monthly) : null;
            const cur = t.prices[0]?.currency;
            return (
              <tr key={t.name}>
                <td>
                  <strong>{t.name}</strong>
                  {t.description && <span className="sub">{t.description}</span>}
                </td>
                <td className="num">{t.cores}</td>
                <td className="num">{t.memoryGb} GB</td>
                <td className="num hide-sm">{t.diskGb ? `${t.diskGb} GB` : '—'}</td>
                <td className="hide-sm">{t.architecture ?? '—'}</td>
                <td className="num">{lo === null ? '—' : lo === hi ? formatPrice(lo, cur) : `${formatPrice(lo, cur)} – ${formatPrice(hi, cur)}`}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const HOW_TO: Record<string, string> = {
  hetzner: 'set HETZNER_API_TOKEN (or HCLOUD_TOKEN) and restart Hangar, or store a token with PUT /v1/providers/hetzner/credentials (no restart).',
  'digital-ocean': 'set DIGITALOCEAN_TOKEN and restart Hangar, or store a token with PUT /v1/providers/digital-ocean/credentials (no restart).',
  ssh: 'servers you already run, reached over SSH; not set up in this installation.',
  local: 'agents as processes on this machine; turned off in this installation.',
};

function NotConfigured({ configured }: { configured: string[] }) {
  const missing = ['local', 'hetzner', 'digital-ocean', 'ssh'].filter((p) => !configured.includes(p));
  return (
    <section className="card" aria-labelledby="not-configured-title" data-testid="not-configured">
      <h2 id="not-configured-title">Not configured</h2>
      <ul>
        {missing.map((p) => (
          <li key={p}>
            <strong>{PROVIDER_LABELS[p] ?? p}</strong>: {HOW_TO[p]}
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Snapshots: listed when the API offers a snapshots endpoint (found in /openapi.json, so no
 * request is made to a route that does not exist); otherwise how instances were bootstrapped.
 */
function Snapshots() {
  const [endpoint, setEndpoint] = useState<string | null | undefined>(undefined);
  const [items, setItems] = useState<SnapshotLike[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [paths, setPaths] = useState<Record<string, number> | null>(null);

  useEffect(() => {
    let live = true;
    fetch('/openapi.json', { cache: 'no-store' })
      .then((r) => (r.ok ? (r.json() as Promise<{ paths?: Record<string, { get?: unknown }> }>) : { paths: {} }))
      .then((doc) => {
        const found = Object.keys(doc.paths ?? {}).find((p) => /^\/v1\/snapshots\/?$/.test(p) && doc.paths?.[p]?.get);
        if (live) setEndpoint(found ?? null);
      })
      .catch(() => live && setEndpoint(null));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (endpoint === undefined) return;
    let live = true;
    if (endpoint) {
      api<{ items: SnapshotLike[] }>('GET', endpoint)
        .then((r) => live && setItems(r.items ?? []))
        .catch((err: unknown) => live && setError(err));
    } else {
      // No snapshot listing: summarise how the recent instances were bootstrapped instead.
      api<Page<Instance>>('GET', '/v1/instances?limit=200')
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
  }, [endpoint]);

  return (
    <section className="card" aria-labelledby="snapshots-title" data-testid="snapshots">
      <h2 id="snapshots-title">Snapshots</h2>
      <p className="muted">
        A snapshot is a provider image with Hangar’s install already done, labelled with its bootstrap version; servers booted from one skip the full install
        (bootstrap path “snapshot”); when a snapshot cannot be used they take the full install instead (“fallback”).
      </p>
      {endpoint === undefined && <p className="muted">Loading…</p>}
      {error !== null && <ErrorBox error={error} title="Could not load snapshots" />}
      {endpoint && items && <SnapshotTable items={items} />}
      {endpoint === null && (
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
