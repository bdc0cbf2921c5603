import { Field } from '../../components/Field.tsx';
import { PROVIDER_LABELS } from '../../format.ts';
import type { Loadable } from '../../hooks.ts';
import type { ProviderInfo } from '../../types.ts';

/** The provider select of the create form. */
export function ProviderPicker({ providers, value, error, onChange }: { providers: Loadable<ProviderInfo[]>; value: string; error?: string; onChange: (p: string) => void }) {
  return (
    <Field name="provider" label="Provider" error={error}>
      {(p) => (
        <select {...p} value={value} disabled={providers.state === 'loading'} onChange={(e) => onChange(e.target.value)}>
          {providers.state === 'loading' && <option value="">Loading…</option>}
          {(providers.state === 'ok' ? providers.value : []).map((x) => (
            <option key={x.name} value={x.name}>
              {PROVIDER_LABELS[x.name] ?? x.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
