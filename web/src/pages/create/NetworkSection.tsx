import { Field } from '../../components/Field.tsx';
import type { CreateForm } from './useCreateForm.ts';

/** The create form's "Network and timing" section: Tailscale and its tags, the connect timeout, what to do on failure. */
export function NetworkSection({ form }: { form: CreateForm }) {
  const { fields: f, set } = form;
  const errors = form.errors.errors;
  return (
    <fieldset className="form-section">
      <legend>Network and timing</legend>
      <p className="section-hint">Tailscale joins the server to your tailnet with a single-use auth key minted at enrollment.</p>
      <div className="field" data-field="tailscale">
        <label className="switch">
          <input type="checkbox" role="switch" checked={f.tailscale} onChange={(e) => set.tailscale(e.target.checked)} data-testid="input-tailscale" aria-describedby="tailscale-hint" />
          Join the tailnet (Tailscale)
        </label>
        <p className="hint" id="tailscale-hint">
          {f.tailscale ? 'The server gets the tag:hangar ACL tag, plus any you add.' : 'Off: the server is reached over its public address only.'}
        </p>
      </div>
      <div className="grid-2">
        {f.tailscale && (
          <Field name="tailscaleTags" label="Extra ACL tags" optional error={errors.tailscaleTags} hint="Separated by spaces or commas, e.g. tag:agents.">
            {(p) => <input {...p} type="text" value={f.tags} placeholder="tag:agents" autoComplete="off" onChange={(e) => set.tags(e.target.value)} />}
          </Field>
        )}
        <Field name="connectTimeoutSeconds" label="Connect timeout (seconds)" optional error={errors.connectTimeoutSeconds} hint="The instance fails if its agent has not dialed home by then. Default 600 (10 minutes).">
          {(p) => <input {...p} type="number" inputMode="numeric" min={10} max={86400} step={1} value={f.connectTimeout} placeholder="600" onChange={(e) => set.connectTimeout(e.target.value)} />}
        </Field>
        <div className={`field${errors.onFailure ? ' field-invalid' : ''}`} data-field="onFailure">
          <span className="label" id="on-failure-label">
            If provisioning fails
          </span>
          <div className="segmented" role="radiogroup" aria-labelledby="on-failure-label">
            <label>
              <input type="radio" name="onFailure" value="destroy" checked={f.onFailure === 'destroy'} onChange={() => set.onFailure('destroy')} />
              Destroy the server
            </label>
            <label>
              <input type="radio" name="onFailure" value="keep" checked={f.onFailure === 'keep'} onChange={() => set.onFailure('keep')} />
              Keep it to debug
            </label>
          </div>
          {errors.onFailure && <p className="field-error">{errors.onFailure}</p>}
        </div>
      </div>
    </fieldset>
  );
}
