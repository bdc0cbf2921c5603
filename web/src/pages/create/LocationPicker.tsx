import { Field } from '../../components/Field.tsx';
import type { Loadable } from '../../hooks.ts';
import type { Location } from '../../types.ts';

/** The location select of the create form; empty means the provider's default. */
export function LocationPicker({ locations, provider, value, error, onChange }: { locations: Loadable<Location[]>; provider: string; value: string; error?: string; onChange: (l: string) => void }) {
  return (
    <Field name="location" label="Location" error={error} hint={locations.state === 'error' ? 'Could not load locations: the provider’s default is used.' : undefined}>
      {(p) => (
        <select {...p} value={value} disabled={locations.state !== 'ok'} onChange={(e) => onChange(e.target.value)}>
          {locations.state === 'loading' && provider && <option value="">Loading…</option>}
          {locations.state !== 'loading' && <option value="">Provider default</option>}
          {locations.state === 'ok' &&
            locations.value.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name}
                {l.city || l.description ? ` — ${[l.city, l.country].filter(Boolean).join(', ') || l.description}` : ''}
              </option>
            ))}
        </select>
      )}
    </Field>
  );
}
