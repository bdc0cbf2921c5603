import { catalogue } from '../../catalogue.ts';
import { ErrorBox } from '../../components/ErrorBox.tsx';
import { formatBytes, formatPrice, PROVIDER_LABELS } from '../../format.ts';
import { useLoad } from '../../hooks.ts';
import { HOSTS_ADD } from '../../components/NoSshHosts.tsx';
import type { Location, ProviderInfo, ServerType } from '../../types.ts';

/** One configured provider: its user-data limit, locations and server types with prices. */
export function ProviderCard({ provider, refresh }: { provider: ProviderInfo; refresh: boolean }) {
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
      <h3>{provider.name === 'ssh' ? 'Hosts' : 'Locations'}</h3>
      {locations.state === 'loading' && <p className="muted">Loading…</p>}
      {locations.state === 'error' && <ErrorBox error={locations.error} title="Could not load locations" />}
      {locations.state === 'ok' && provider.name === 'ssh' && !locations.value.length ? (
        <p className="muted" data-testid="ssh-no-hosts">
          No hosts registered: add one with <code className="cmd">{HOSTS_ADD}</code>.
        </p>
      ) : (
        locations.state === 'ok' && <LocationChips items={locations.value} />
      )}
      <h3>Server types</h3>
      {types.state === 'loading' && <p className="muted">Loading…</p>}
      {types.state === 'error' && <ErrorBox error={types.error} title="Could not load server types" />}
      {types.state === 'ok' && <TypesTable items={types.value} />}
    </section>
  );
}

/** A provider's locations as chips. */
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

/** A provider's server types with their size and monthly price range. */
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
