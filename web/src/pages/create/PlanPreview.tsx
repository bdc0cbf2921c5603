import { useEffect, useRef, useState, type ReactNode } from 'react';
import { formatBytes, STEP_LABELS } from '../../format.ts';
import type { Plan } from '../../types.ts';

/** The dry run's result card (focused when a plan arrives): what would happen, and the exact user-data with the token redacted. */
export function PlanPreview({ plan, stale, busy, onRefresh }: { plan: Plan; stale: boolean; busy: boolean; onRefresh: () => void }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [plan]);
  return (
    <section className="card preview" ref={ref} tabIndex={-1} aria-labelledby="preview-title" data-testid="preview">
      <div className="card-head">
        <h2 id="preview-title">Dry run: what would happen</h2>
        {stale && (
          <button type="button" className="btn btn-small" onClick={onRefresh} disabled={busy}>
            The form changed: refresh
          </button>
        )}
      </div>
      <PlanView plan={plan} />
    </section>
  );
}

/** A plan's facts (server name, bootstrap path, steps, user-data size) and its user-data with a copy button. */
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
