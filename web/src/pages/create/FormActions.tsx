import { priceOf } from '../../catalogue.ts';
import { formatPrice, PROVIDER_LABELS } from '../../format.ts';
import { WORKLOAD_INFO } from '../../workloads.ts';
import type { CreateForm } from './useCreateForm.ts';

/** The create form's footer: a one-line summary with the monthly price, and the preview (dry run) and create buttons. */
export function FormActions({ form }: { form: CreateForm }) {
  const { server: s, fields: f, busy, submit } = form;
  // Nothing to send while the provider cannot take it (the ssh provider without hosts).
  const off = busy !== null || !s.provider || s.blocked !== null;
  const price = priceOf(s.types.state === 'ok' ? s.types.value : undefined, s.serverType, s.location || null);
  return (
    <div className="form-actions">
      <span className="summary" data-testid="create-summary">
        {s.provider ? (
          <>
            <strong>{PROVIDER_LABELS[s.provider] ?? s.provider}</strong>
            {s.location ? ` · ${s.location}` : ''}
            {s.serverType ? ` · ${s.serverType}` : ''} · {WORKLOAD_INFO[f.workload].title}
            {price ? (
              <>
                {' · '}
                <strong>{formatPrice(price.monthly, price.currency)}</strong>/month
              </>
            ) : null}
            {s.blocked === 'no-ssh-hosts' && <span className="text-danger"> · add an SSH host first</span>}
          </>
        ) : (
          'Choose a provider'
        )}
      </span>
      <button type="button" className="btn" onClick={() => void submit('preview')} disabled={off} data-testid="preview-button">
        {busy === 'preview' ? 'Rendering…' : 'Preview user-data'}
      </button>
      <button type="submit" className="btn btn-primary" disabled={off} data-testid="create-button">
        {busy === 'create' ? 'Creating…' : 'Create instance'}
      </button>
    </div>
  );
}
