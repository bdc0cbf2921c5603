import { listUnconfigured } from '../../api.ts';
import { PROVIDER_LABELS } from '../../format.ts';
import { useLoad } from '../../hooks.ts';

/**
 * The providers this installation has not set up, each with the server's own hint of what
 * enables it (`GET /v1/providers` → `unconfigured[].enable`), so the page and `hangar providers`
 * say the same thing.
 */
export function NotConfigured({ refreshKey = 0 }: { refreshKey?: number }) {
  const missing = useLoad(listUnconfigured, `unconfigured-${refreshKey}`);
  if (missing.state !== 'ok' || !missing.value.length) return null;
  return (
    <section className="card" aria-labelledby="not-configured-title" data-testid="not-configured">
      <h2 id="not-configured-title">Not configured</h2>
      <ul>
        {missing.value.map((p) => (
          <li key={p.name} data-testid={`not-configured-${p.name}`}>
            <strong>{PROVIDER_LABELS[p.name] ?? p.name}</strong>: {p.enable}
          </li>
        ))}
      </ul>
    </section>
  );
}
