import { useState, type FormEvent } from 'react';
import { deletePool, listApiBudgets, listPools, putPool, type ApiBudget, type Pool } from '../api.ts';
import { ApiProblem, fieldError } from '../components/ApiProblem.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Field } from '../components/Field.tsx';
import { useLoad, useTitle } from '../hooks.ts';

const PROVIDERS = ['local', 'hetzner', 'digital-ocean'];
const WORKLOADS = ['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose'];

/**
 * Warm pools of the project (servers kept booted for matching creates): ready/target counts and
 * paused state; set (create or change, which also resumes) and remove a pool; and the shared
 * cloud-API budget the pool keeper spends.
 */
export function Pools() {
  useTitle('Warm pools');
  const [version, setVersion] = useState(0);
  const pools = useLoad(() => listPools(), `pools-${version}`);
  const budget = useLoad(() => listApiBudgets(), `budget-${version}`);
  const [error, setError] = useState<unknown>(null);
  const reload = () => setVersion((v) => v + 1);
  const remove = async (p: Pool) => {
    if (!window.confirm(`Remove pool "${p.name}"? Its unclaimed servers are destroyed.`)) return;
    setError(null);
    try {
      await deletePool(p.name);
      reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="page" aria-labelledby="pools-title">
      <div className="page-head">
        <div>
          <h1 id="pools-title">Warm pools</h1>
          <p className="muted">A pool keeps servers booted with the agent connected; a create with the same provider, type, location and workload claims one at once.</p>
        </div>
        <button type="button" className="btn btn-small" onClick={reload} data-testid="pools-refresh">
          Refresh
        </button>
      </div>
      <SetPool onSaved={reload} />
      {error !== null && <ApiProblem error={error} title="Could not remove the pool" />}
      {pools.state === 'loading' && <p className="muted loading" role="status">Loading pools…</p>}
      {pools.state === 'error' && <ErrorBox error={pools.error} title="Could not load pools" onRetry={reload} />}
      {pools.state === 'ok' && pools.value.length === 0 && (
        <p className="muted" data-testid="pools-empty">
          No warm pools. Set one above to make creates start in seconds.
        </p>
      )}
      {pools.state === 'ok' && pools.value.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="pools-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Provider</th>
                <th scope="col">Type · location</th>
                <th scope="col">Workload</th>
                <th scope="col">Ready / target</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {pools.value.map((p) => (
                <tr key={p.name} data-testid="pool-row" data-name={p.name} data-paused={String(p.paused)}>
                  <td>{p.name}</td>
                  <td>{p.provider}</td>
                  <td>
                    {p.serverType ?? 'default'} · {p.location ?? 'default'}
                  </td>
                  <td>{p.workload}</td>
                  <td data-testid="pool-counts">
                    {p.warm} / {p.ready}
                    {p.starting > 0 ? ` (${p.starting} starting)` : ''}
                  </td>
                  <td data-testid="pool-state">{p.paused ? `paused${p.pauseReason ? `: ${p.pauseReason}` : ''}` : p.consecutiveFailures > 0 ? `active, ${p.consecutiveFailures} failures in a row` : 'active'}</td>
                  <td>
                    <button type="button" className="btn btn-small btn-danger" onClick={() => void remove(p)} data-testid="pool-delete">
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <section className="card" aria-labelledby="api-budget-title" data-testid="api-budget">
        <h2 id="api-budget-title">Cloud-API budget</h2>
        {budget.state === 'loading' && <p className="muted loading" role="status">Loading the API budget…</p>}
        {budget.state === 'error' && <ErrorBox error={budget.error} title="Could not load the API budget" />}
        {budget.state === 'ok' && budget.value.length === 0 && (
          <p className="muted" data-testid="api-budget-empty">
            No cloud API called yet (the local provider spends no budget).
          </p>
        )}
        {budget.state === 'ok' && budget.value.map((b) => <BudgetRow key={b.bucket} b={b} />)}
      </section>
    </section>
  );
}

function BudgetRow({ b }: { b: ApiBudget }) {
  const pct = Math.round(b.usedRatio * 100);
  return (
    <div className="budget" data-testid="api-budget-row" data-vendor={b.vendor}>
      <p>
        <strong>{b.vendor}</strong> ({b.mode}): {b.remaining} of {b.limit} calls left, {pct}% used, {b.inFlight} in flight, {b.limited} rate-limited answers
        {b.blockedUntil ? `, blocked until ${new Date(b.blockedUntil).toLocaleTimeString()}` : ''}
      </p>
      <meter min={0} max={1} high={0.8} optimum={0} value={b.usedRatio} aria-label={`${b.vendor}: ${pct}% of the API budget used`}>
        {pct}%
      </meter>
    </div>
  );
}

/** Create or change a pool (PUT /v1/pools/{name}). */
function SetPool({ onSaved }: { onSaved: () => void }) {
  const [f, setF] = useState({ name: '', provider: 'local', serverType: '', location: '', workload: 'process', ready: '1' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await putPool(f.name.trim(), { provider: f.provider, workload: f.workload, ready: Number(f.ready), serverType: f.serverType.trim() || null, location: f.location.trim() || null });
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} data-testid="pool-form" aria-labelledby="pool-set-title">
      <h2 id="pool-set-title">Set a pool</h2>
      <div className="grid-3">
        <Field name="name" label="Name" error={fieldError(error, 'name')}>
          {(p) => <input {...p} required value={f.name} onChange={set('name')} placeholder="ci" />}
        </Field>
        <Field name="provider" label="Provider" error={fieldError(error, 'provider')}>
          {(p) => (
            <select {...p} value={f.provider} onChange={set('provider')}>
              {PROVIDERS.map((x) => <option key={x}>{x}</option>)}
            </select>
          )}
        </Field>
        <Field name="workload" label="Workload" error={fieldError(error, 'workload')}>
          {(p) => (
            <select {...p} value={f.workload} onChange={set('workload')}>
              {WORKLOADS.map((x) => <option key={x}>{x}</option>)}
            </select>
          )}
        </Field>
        <Field name="serverType" label="Server type" optional error={fieldError(error, 'serverType')} hint="Empty: the provider's default">
          {(p) => <input {...p} value={f.serverType} onChange={set('serverType')} />}
        </Field>
        <Field name="location" label="Location" optional error={fieldError(error, 'location')} hint="Empty: the provider's default">
          {(p) => <input {...p} value={f.location} onChange={set('location')} />}
        </Field>
        <Field name="ready" label="Ready servers" error={fieldError(error, 'ready')}>
          {(p) => <input {...p} type="number" min={0} required value={f.ready} onChange={set('ready')} />}
        </Field>
      </div>
      {error !== null && <ApiProblem error={error} title="Could not set the pool" />}
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="pool-save">
        {busy ? 'Saving…' : 'Set pool'}
      </button>
    </form>
  );
}
