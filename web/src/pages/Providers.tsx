import { useState } from 'react';
import { catalogue } from '../catalogue.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { useLoad, useTitle } from '../hooks.ts';
import { NotConfigured } from './providers/NotConfigured.tsx';
import { ProviderCard } from './providers/ProviderCard.tsx';
import { Snapshots } from './providers/Snapshots.tsx';

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
          <NotConfigured refreshKey={refreshKey} />
          <Snapshots />
        </>
      )}
    </section>
  );
}
