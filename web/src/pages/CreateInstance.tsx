import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError } from '../api.ts';
import { catalogue, priceOf, useLoad } from '../catalogue.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Field } from '../components/Field.tsx';
import { formatBytes, formatPrice, PROVIDER_LABELS, STEP_LABELS } from '../format.ts';
import { useTitle } from '../hooks.ts';
import { href, navigate } from '../router.ts';
import { WORKLOADS, type Instance, type Plan, type ServerType, type WorkloadKind } from '../types.ts';
import { buildConfig, initialSettings, isSecretSetting, settingForError, visibleSettings, WORKLOAD_INFO, WORKLOAD_SETTINGS, type SettingDef } from '../workloads.ts';

type Errors = Record<string, string>;

/** Form fields the API can name in `errors[].field`; anything else goes to the summary. */
const TOP_FIELDS = ['provider', 'location', 'serverType', 'image', 'name', 'workload', 'tailscale', 'tailscaleTags', 'connectTimeoutSeconds', 'onFailure'];

const FIELD_LABELS: Record<string, string> = {
  provider: 'Provider',
  location: 'Location',
  serverType: 'Server type',
  image: 'Image',
  name: 'Name',
  workload: 'Workload',
  tailscaleTags: 'Extra ACL tags',
  connectTimeoutSeconds: 'Connect timeout',
  onFailure: 'If provisioning fails',
};

/** A random Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not). */
function newKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Create an instance: provider → location → server type (with prices) → workload and its
 * settings → Tailscale and timeouts. The API validates; its field errors are shown next to the
 * fields. "Preview" asks for a dry run and shows the exact user-data (token redacted).
 */
export function CreateInstance() {
  useTitle('Create instance');
  const providers = useLoad(() => catalogue.providers(), 'providers');
  const [provider, setProvider] = useState('');
  const [location, setLocation] = useState('');
  const [serverType, setServerType] = useState('');
  const [image, setImage] = useState('');
  const [name, setName] = useState('');
  const [workload, setWorkload] = useState<WorkloadKind>('process');
  const [settings, setSettings] = useState<Record<WorkloadKind, Record<string, string>>>(() => Object.fromEntries(WORKLOADS.map((w) => [w, initialSettings(w)])) as Record<WorkloadKind, Record<string, string>>);
  const [tailscale, setTailscale] = useState(false);
  const [tags, setTags] = useState('');
  const [connectTimeout, setConnectTimeout] = useState('');
  const [onFailure, setOnFailure] = useState<'destroy' | 'keep'>('destroy');

  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [otherErrors, setOtherErrors] = useState<{ field: string; message: string }[]>([]);
  const [busy, setBusy] = useState<'preview' | 'create' | null>(null);
  const [plan, setPlan] = useState<{ plan: Plan; body: string } | null>(null);
  const [focusTick, setFocusTick] = useState(0);
  const idem = useRef<{ body: string; key: string } | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const previewRef = useRef<HTMLElement>(null);

  // Default to the local provider (or the only one) once the list arrives.
  useEffect(() => {
    if (providers.state === 'ok' && !provider && providers.value.length) {
      setProvider((providers.value.find((p) => p.name === 'local') ?? providers.value[0]).name);
    }
  }, [providers, provider]);

  const locations = useLoad(provider ? () => catalogue.locations(provider) : null, provider);
  const types = useLoad(provider ? () => catalogue.serverTypes(provider) : null, provider);

  // A single location or server type is chosen for you.
  useEffect(() => {
    if (locations.state === 'ok' && locations.value.length === 1 && !location) setLocation(locations.value[0].name);
  }, [locations, location]);
  const available: ServerType[] = useMemo(() => {
    if (types.state !== 'ok') return [];
    if (!location) return types.value;
    const here = types.value.filter((t) => t.prices.some((p) => p.location === location));
    return here.length ? here : types.value;
  }, [types, location]);
  useEffect(() => {
    if (types.state === 'ok' && available.length === 1 && !serverType) setServerType(available[0].name);
    if (serverType && types.state === 'ok' && !available.some((t) => t.name === serverType)) setServerType('');
  }, [types, available, serverType]);

  const cfg = settings[workload];
  const setSetting = (key: string, value: string) => setSettings((cur) => ({ ...cur, [workload]: { ...cur[workload], [key]: value } }));

  const build = (): { body: Record<string, unknown>; local: Errors } => {
    const { config, errors: local } = buildConfig(workload, cfg);
    const body: Record<string, unknown> = { provider, workload, config, tailscale, onFailure };
    if (name.trim()) body.name = name.trim();
    if (location) body.location = location;
    if (serverType) body.serverType = serverType;
    if (image.trim() && provider !== 'local') body.image = image.trim();
    if (tailscale) {
      const t = tags.split(/[\s,]+/).filter(Boolean);
      if (t.length) body.tailscaleTags = t;
    }
    if (connectTimeout.trim()) {
      const n = Number(connectTimeout);
      // Let the API judge anything numeric (it names the bounds); only non-numbers are caught here.
      if (Number.isFinite(n)) body.connectTimeoutSeconds = n;
      else local.connectTimeoutSeconds = 'a whole number of seconds';
    }
    if (!provider) local.provider = 'choose a provider';
    return { body, local };
  };

  const showErrors = (errs: Errors, other: { field: string; message: string }[], prob: ApiError | null) => {
    setErrors(errs);
    setOtherErrors(other);
    setProblem(prob);
    setFocusTick((t) => t + 1);
  };

  // After errors render, focus the first field in error (in page order), else the summary.
  useEffect(() => {
    if (!focusTick) return;
    const first = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .field-invalid input');
    if (first) first.focus();
    else document.getElementById('form-problem')?.focus();
  }, [focusTick]);
  useEffect(() => {
    if (plan) previewRef.current?.focus();
  }, [plan]);

  const handleApiError = (err: unknown) => {
    if (!(err instanceof ApiError)) {
      showErrors({}, [], new ApiError(0, null, err instanceof Error ? err.message : String(err)));
      return;
    }
    const mapped: Errors = {};
    const other: { field: string; message: string }[] = [];
    for (const e of err.fieldErrors) {
      const top = e.field.replace(/^tailscaleTags\.\d+$/, 'tailscaleTags');
      const setting = settingForError(workload, cfg, e.field);
      const field = setting ?? (TOP_FIELDS.includes(top) && !(top === 'tailscaleTags' && !tailscale) ? top : null);
      // A nested or free-form setting's error names it (config.environment.FOO: …).
      const message = setting && setting !== e.field ? `${e.field.slice('config.'.length)}: ${e.message}` : e.message;
      if (field) mapped[field] = mapped[field] ? `${mapped[field]}; ${message}` : message;
      else other.push(e);
    }
    showErrors(mapped, other, err);
  };

  const submit = async (mode: 'preview' | 'create') => {
    const { body, local } = build();
    if (Object.keys(local).length) {
      showErrors(local, [], null);
      return;
    }
    setBusy(mode);
    setErrors({});
    setOtherErrors([]);
    setProblem(null);
    const json = JSON.stringify(body);
    try {
      if (mode === 'preview') {
        const p = await api<Plan>('POST', '/v1/instances?dryRun=true', { body });
        setPlan({ plan: p, body: json });
      } else {
        // The same key while the body is unchanged: a retry after a lost answer creates nothing twice.
        if (idem.current?.body !== json) idem.current = { body: json, key: newKey() };
        const inst = await api<Instance>('POST', '/v1/instances', { body, headers: { 'idempotency-key': idem.current.key } });
        navigate(href.instance(inst.id));
      }
    } catch (err) {
      handleApiError(err);
    } finally {
      setBusy(null);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit('create');
  };

  const providerList = providers.state === 'ok' ? providers.value : [];
  const typeList = types.state === 'ok' ? types.value : undefined;
  const price = priceOf(typeList, serverType, location || null);
  const currentBody = JSON.stringify(build().body);
  const stale = plan !== null && plan.body !== currentBody;
  const hasProblem = problem !== null || otherErrors.length > 0 || Object.keys(errors).length > 0;
  const labels = Object.keys(errors).map((f) => FIELD_LABELS[f] ?? WORKLOAD_SETTINGS[workload].find((d) => `config.${d.key}` === f)?.label ?? f);
  const summaryTitle = labels.length
    ? `Please correct ${labels.length === 1 ? 'this field' : `these ${labels.length} fields`}: ${labels.join(', ')}.`
    : otherErrors.length
      ? 'The API rejected the request:'
      : 'The request failed';

  if (providers.state === 'error') return <ErrorBox error={providers.error} title="Could not load providers" />;

  return (
    <section className="page" aria-labelledby="create-title">
      <div className="page-head">
        <div>
          <h1 id="create-title">Create instance</h1>
          <p className="muted">A server with the Hangar agent on it. It is running once the agent has dialed home and reported its workload healthy.</p>
        </div>
      </div>

      <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="create-form" aria-describedby={hasProblem ? 'form-problem' : undefined}>
        {hasProblem && (
          <div className="callout callout-error error-summary" role="alert" id="form-problem" tabIndex={-1} data-testid="form-problem">
            <strong>{summaryTitle}</strong>
            {problem?.message && !Object.keys(errors).length && !otherErrors.length && <p>{problem.message}</p>}
            {otherErrors.length > 0 && (
              <ul>
                {otherErrors.map((e) => (
                  <li key={`${e.field}:${e.message}`}>
                    <code>{e.field}</code>: {e.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}

        <fieldset className="form-section">
          <legend>Server</legend>
          <p className="section-hint">Where the server runs and how big it is. Prices are the provider’s list prices per month.</p>
          <div className="grid-2">
            <Field name="provider" label="Provider" error={errors.provider}>
              {(p) => (
                <select
                  {...p}
                  value={provider}
                  disabled={providers.state === 'loading'}
                  onChange={(e) => {
                    setProvider(e.target.value);
                    setLocation('');
                    setServerType('');
                  }}
                >
                  {providers.state === 'loading' && <option value="">Loading…</option>}
                  {providerList.map((x) => (
                    <option key={x.name} value={x.name}>
                      {PROVIDER_LABELS[x.name] ?? x.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field name="location" label="Location" error={errors.location} hint={locations.state === 'error' ? 'Could not load locations: the provider’s default is used.' : undefined}>
              {(p) => (
                <select {...p} value={location} disabled={locations.state !== 'ok'} onChange={(e) => setLocation(e.target.value)}>
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
          </div>

          <div className={`field${errors.serverType ? ' field-invalid' : ''}`} data-field="serverType">
            <span className="label" id="server-type-label">
              Server type
            </span>
            {types.state === 'loading' && provider && <p className="muted">Loading server types…</p>}
            {types.state === 'error' && <p className="hint">Could not load server types: the provider’s default is used.</p>}
            {types.state === 'ok' && (
              <div className="choices" role="radiogroup" aria-labelledby="server-type-label" aria-describedby={errors.serverType ? 'server-type-error' : undefined} data-testid="server-types">
                {available.map((t) => {
                  const pr = priceOf(types.value, t.name, location || null) ?? t.prices[0] ?? null;
                  return (
                    <label className="choice" key={t.name} data-testid={`server-type-${t.name}`}>
                      <input type="radio" name="serverType" value={t.name} checked={serverType === t.name} onChange={() => setServerType(t.name)} />
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
            {errors.serverType && (
              <p className="field-error" id="server-type-error" role="alert" data-testid="error-serverType">
                {errors.serverType}
              </p>
            )}
          </div>

          <div className="grid-2">
            <Field name="name" label="Name" optional error={errors.name} hint="Letters, digits, spaces, dots, dashes, underscores. The server is named hangar-<name>-<id>.">
              {(p) => <input {...p} type="text" value={name} maxLength={60} placeholder={workload} autoComplete="off" onChange={(e) => setName(e.target.value)} />}
            </Field>
            {provider !== 'local' && (
              <Field name="image" label="Image" optional error={errors.image} hint="An image name or snapshot id; empty: Hangar’s default.">
                {(p) => <input {...p} type="text" value={image} placeholder="ubuntu-24.04" autoComplete="off" onChange={(e) => setImage(e.target.value)} />}
              </Field>
            )}
          </div>
        </fieldset>

        <fieldset className="form-section">
          <legend>Workload</legend>
          <p className="section-hint">What the agent runs once it has enrolled. Settings whose names end in key, token, password or secret are sealed at rest and never shown again.</p>
          <div className="choices" role="radiogroup" aria-label="Workload" data-testid="workloads">
            {WORKLOADS.map((w) => (
              <label className="choice" key={w} data-testid={`workload-${w}`}>
                <input
                  type="radio"
                  name="workload"
                  value={w}
                  checked={workload === w}
                  onChange={() => {
                    setWorkload(w);
                    // Errors about the previous workload's settings no longer apply.
                    setErrors((cur) => Object.fromEntries(Object.entries(cur).filter(([f]) => !f.startsWith('config.'))));
                  }}
                />
                <span className="choice-title">{WORKLOAD_INFO[w].title}</span>
                <span className="choice-desc">{WORKLOAD_INFO[w].description}</span>
              </label>
            ))}
          </div>
          {errors.workload && (
            <p className="field-error" role="alert" data-testid="error-workload">
              {errors.workload}
            </p>
          )}
          <div className="grid-2" data-testid="workload-settings">
            {visibleSettings(workload, cfg).map((d) => (
              <Setting key={`${workload}.${d.key}`} def={d} value={cfg[d.key] ?? ''} error={errors[`config.${d.key}`]} onChange={(v) => setSetting(d.key, v)} />
            ))}
          </div>
        </fieldset>

        <fieldset className="form-section">
          <legend>Network and timing</legend>
          <p className="section-hint">Tailscale joins the server to your tailnet with a single-use auth key minted at enrollment.</p>
          <div className="field" data-field="tailscale">
            <label className="switch">
              <input type="checkbox" role="switch" checked={tailscale} onChange={(e) => setTailscale(e.target.checked)} data-testid="input-tailscale" aria-describedby="tailscale-hint" />
              Join the tailnet (Tailscale)
            </label>
            <p className="hint" id="tailscale-hint">
              {tailscale ? 'The server gets the tag:hangar ACL tag, plus any you add.' : 'Off: the server is reached over its public address only.'}
            </p>
          </div>
          <div className="grid-2">
            {tailscale && (
              <Field name="tailscaleTags" label="Extra ACL tags" optional error={errors.tailscaleTags} hint="Separated by spaces or commas, e.g. tag:agents.">
                {(p) => <input {...p} type="text" value={tags} placeholder="tag:agents" autoComplete="off" onChange={(e) => setTags(e.target.value)} />}
              </Field>
            )}
            <Field name="connectTimeoutSeconds" label="Connect timeout (seconds)" optional error={errors.connectTimeoutSeconds} hint="The instance fails if its agent has not dialed home by then. Default 600 (10 minutes).">
              {(p) => <input {...p} type="number" inputMode="numeric" min={10} max={86400} step={1} value={connectTimeout} placeholder="600" onChange={(e) => setConnectTimeout(e.target.value)} />}
            </Field>
            <div className={`field${errors.onFailure ? ' field-invalid' : ''}`} data-field="onFailure">
              <span className="label" id="on-failure-label">
                If provisioning fails
              </span>
              <div className="segmented" role="radiogroup" aria-labelledby="on-failure-label">
                <label>
                  <input type="radio" name="onFailure" value="destroy" checked={onFailure === 'destroy'} onChange={() => setOnFailure('destroy')} />
                  Destroy the server
                </label>
                <label>
                  <input type="radio" name="onFailure" value="keep" checked={onFailure === 'keep'} onChange={() => setOnFailure('keep')} />
                  Keep it to debug
                </label>
              </div>
              {errors.onFailure && <p className="field-error">{errors.onFailure}</p>}
            </div>
          </div>
        </fieldset>

        <div className="form-actions">
          <span className="summary" data-testid="create-summary">
            {provider ? (
              <>
                <strong>{PROVIDER_LABELS[provider] ?? provider}</strong>
                {location ? ` · ${location}` : ''}
                {serverType ? ` · ${serverType}` : ''} · {WORKLOAD_INFO[workload].title}
                {price ? (
                  <>
                    {' · '}
                    <strong>{formatPrice(price.monthly, price.currency)}</strong>/month
                  </>
                ) : null}
              </>
            ) : (
              'Choose a provider'
            )}
          </span>
          <button type="button" className="btn" onClick={() => void submit('preview')} disabled={busy !== null || !provider} data-testid="preview-button">
            {busy === 'preview' ? 'Rendering…' : 'Preview user-data'}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy !== null || !provider} data-testid="create-button">
            {busy === 'create' ? 'Creating…' : 'Create instance'}
          </button>
        </div>
      </form>

      {plan && (
        <section className="card preview" ref={previewRef} tabIndex={-1} aria-labelledby="preview-title" data-testid="preview">
          <div className="card-head">
            <h2 id="preview-title">Dry run: what would happen</h2>
            {stale && (
              <button type="button" className="btn btn-small" onClick={() => void submit('preview')} disabled={busy !== null}>
                The form changed: refresh
              </button>
            )}
          </div>
          <PlanView plan={plan.plan} />
        </section>
      )}
    </section>
  );
}

function Setting({ def, value, error, onChange }: { def: SettingDef; value: string; error?: string; onChange: (v: string) => void }) {
  const name = `config.${def.key}`;
  const secret = isSecretSetting(def.key) || def.type === 'secretPairs';
  const label = (
    <>
      {def.label}
      {secret && (
        <span className="optional" title="Stored sealed; never returned by the API">
          {' '}
          · sealed
        </span>
      )}
    </>
  );
  if (def.type === 'choice') {
    return (
      <div className={`field span-all${error ? ' field-invalid' : ''}`} data-field={name}>
        <span className="label" id={`lbl-${def.key}`}>
          {def.label}
        </span>
        <div className="segmented" role="radiogroup" aria-labelledby={`lbl-${def.key}`} data-testid={`input-${name}`}>
          {def.options?.map((o) => (
            <label key={o.value}>
              <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
              {o.label}
            </label>
          ))}
        </div>
        {error && (
          <p className="field-error" role="alert" data-testid={`error-${name}`}>
            {error}
          </p>
        )}
      </div>
    );
  }
  if (def.type === 'bool') {
    return (
      <div className={`field span-all${error ? ' field-invalid' : ''}`} data-field={name}>
        <label className="switch">
          <input type="checkbox" role="switch" name={name} checked={value === 'true'} onChange={(e) => onChange(e.target.checked ? 'true' : '')} data-testid={`input-${name}`} aria-invalid={error ? true : undefined} />
          {def.label}
        </label>
        {error && (
          <p className="field-error" role="alert" data-testid={`error-${name}`}>
            {error}
          </p>
        )}
        {def.hint && <p className="hint">{def.hint}</p>}
      </div>
    );
  }
  // Settings shown only in some modes are required in the mode that shows them.
  const isRequired = typeof def.required === 'function' ? true : Boolean(def.required);
  return (
    <Field name={name} label={label} hint={def.hint} error={error} optional={!isRequired} className={def.wide || def.type === 'textarea' || def.type === 'secretPairs' || def.type === 'envMap' ? 'span-all' : undefined}>
      {(p) =>
        def.type === 'textarea' || def.type === 'secretPairs' || def.type === 'envMap' ? (
          <textarea {...p} value={value} placeholder={def.placeholder} rows={def.type === 'textarea' ? 9 : 3} spellCheck={false} autoComplete="off" className={def.type === 'textarea' ? undefined : 'textarea-small'} onChange={(e) => onChange(e.target.value)} />
        ) : (
          <input
            {...p}
            type={def.type === 'password' ? 'password' : def.type === 'number' ? 'number' : def.type === 'url' ? 'url' : 'text'}
            inputMode={def.type === 'number' ? 'numeric' : undefined}
            value={value}
            placeholder={def.placeholder}
            autoComplete={def.type === 'password' ? 'new-password' : 'off'}
            spellCheck={false}
            onChange={(e) => onChange(e.target.value)}
          />
        )
      }
    </Field>
  );
}

function PlanView({ plan }: { plan: Plan }) {
  const [copied, setCopied] = useState(false);
  const ratio = plan.userDataLimit ? plan.userDataBytes / plan.userDataLimit : 0;
  return (
    <>
      <dl className="facts">
        <dt>Server name</dt>
        <dd className="mono">{plan.serverName}</dd>
        <dt>Bootstrap path</dt>
        <dd>{plan.bootstrapPath}</dd>
        <dt>Steps</dt>
        <dd className="steps-inline">
          {plan.steps.map((s, i) => (
            <span key={s}>
              {i > 0 && <span className="arrow">→ </span>}
              {STEP_LABELS[s] ?? s}
            </span>
          ))}
        </dd>
        <dt>Tailscale</dt>
        <dd>{plan.tailscale}</dd>
        <dt>Sealed settings</dt>
        <dd>{plan.secrets.length ? plan.secrets.map((s) => <code key={s}>{s}</code>).reduce<ReactNode[]>((acc, el, i) => (i ? [...acc, ' ', el] : [el]), []) : 'none'}</dd>
        <dt>User-data</dt>
        <dd>
          {formatBytes(plan.userDataBytes)} of {formatBytes(plan.userDataLimit)} allowed
          <div className={`meter${ratio > 0.8 ? ' meter-warn' : ''}`} role="meter" aria-valuemin={0} aria-valuemax={plan.userDataLimit} aria-valuenow={plan.userDataBytes} aria-label="User-data size">
            <span style={{ width: `${Math.min(100, Math.max(1, ratio * 100)).toFixed(1)}%` }} />
          </div>
        </dd>
      </dl>
      <div className="card-head" style={{ marginTop: '1rem' }}>
        <h3>User-data</h3>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => {
            void navigator.clipboard?.writeText(plan.userData).then(
              () => setCopied(true),
              () => {},
            );
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="hint" style={{ marginBottom: '0.5rem' }}>
        Exactly what the server would receive; its only secret, the one-time bootstrap token, is shown as [REDACTED].
      </p>
      <pre data-testid="user-data" tabIndex={0} aria-label="User-data">
        {plan.userData}
      </pre>
    </>
  );
}
