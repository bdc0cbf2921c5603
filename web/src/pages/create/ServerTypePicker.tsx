import { priceOf } from '../../catalogue.ts';
import { formatPrice } from '../../format.ts';
import type { Loadable } from '../../hooks.ts';
import type { ServerType } from '../../types.ts';

/** The server type radio cards of the create form, each with its size and monthly price at the chosen location. */
export function ServerTypePicker(props: { types: Loadable<ServerType[]>; available: ServerType[]; provider: string; location: string; value: string; error?: string; onChange: (t: string) => void }) {
  const { types, available, provider, location, value, error, onChange } = props;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`} data-field="serverType">
      <span className="label" id="server-type-label">
        Server type
      </span>
      {types.state === 'loading' && provider && <p className="muted">Loading server types…</p>}
      {types.state === 'error' && <p className="hint">Could not load server types: the provider’s default is used.</p>}
      {types.state === 'ok' && available.length === 0 && <p className="muted">None offered.</p>}
      {types.state === 'ok' && available.length > 0 && (
        <div className="choices" role="radiogroup" aria-labelledby="server-type-label" aria-describedby={error ? 'server-type-error' : undefined} data-testid="server-types">
          {available.map((t) => {
            const pr = priceOf(types.value, t.name, location || null) ?? t.prices[0] ?? null;
            return (
              <label className="choice" key={t.name} data-testid={`server-type-${t.name}`}>
                <input type="radio" name="serverType" value={t.name} checked={value === t.name} onChange={() => onChange(t.name)} />
                <span className="choice-title">
                  <span>{t.name}</span>
                  <span className="choice-price">{pr ? `${formatPrice(pr.monthly, pr.currency)}/mo` : '—'}</span>
                </span>
                <span className="choice-desc">
                  {t.cores} vCPU · {t.memoryGb} GB RAM{t.diskGb ? ` · ${t.diskGb} GB disk` : ''}
                  {t.architecture ? ` · ${t.architecture}` : ''}
                </span>
                {t.description && <span className="choice-desc">{t.description}</span>}
              </label>
            );
          })}
        </div>
      )}
      {error && (
        <p className="field-error" id="server-type-error" role="alert" data-testid="error-serverType">
          {error}
        </p>
      )}
    </div>
  );
}
