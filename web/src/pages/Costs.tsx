import { getCosts, type Costs as CostsView } from '../api.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { useLoad, useTitle } from '../hooks.ts';
import { href } from '../router.ts';

const money = (n: number, currency: string) => `${n.toFixed(2)} ${currency}`.trim();

/**
 * Budget and spend: each budget that applies with how full its projected month is, this month's
 * totals per currency, and what each instance costs so far and projected.
 */
export function Costs() {
  useTitle('Budget and costs');
  const costs = useLoad(() => getCosts(), 'costs');
  return (
    <section className="page" aria-labelledby="costs-title">
      <div className="page-head">
        <div>
          <h1 id="costs-title">Budget and costs</h1>
          <p className="muted">Clouds bill started hours, capped at the monthly price. A create that would take the projected month past a budget is refused.</p>
        </div>
      </div>
      {costs.state === 'loading' && (
        <p className="muted loading" role="status">
          Loading costs…
        </p>
      )}
      {costs.state === 'error' && <ErrorBox error={costs.error} title="Could not load costs" />}
      {costs.state === 'ok' && <CostsBody v={costs.value} />}
    </section>
  );
}

function CostsBody({ v }: { v: CostsView }) {
  return (
    <>
      <section className="card" aria-labelledby="budget-title" data-testid="budgets">
        <h2 id="budget-title">Budget</h2>
        {v.budgets.length === 0 && <p className="muted" data-testid="no-budget">No budget set. Set one with <code>hangar budget set --monthly 200EUR</code>.</p>}
        {v.budgets.map((b) => (
          <div key={`${b.scope}-${b.project ?? ''}`} className="budget" data-testid={`budget-${b.scope}`} data-percent={b.percent}>
            <p>
              <strong>{b.scope === 'installation' ? 'Installation' : `Project ${b.project}`}</strong>: {money(b.monthly, b.currency)} per month — spent {money(b.spent, b.currency)}, projected {money(b.projected, b.currency)}
            </p>
            <meter min={0} max={b.monthly} low={b.monthly * 0.8} high={b.monthly * 0.99} optimum={0} value={Math.min(b.projected, b.monthly)} aria-label={`projected ${b.percent}% of the budget`}>
              {b.percent}%
            </meter>
          </div>
        ))}
      </section>
      <section className="card" aria-labelledby="spend-title" data-testid="spend">
        <h2 id="spend-title">Spend in {v.month}</h2>
        {v.totals.length === 0 ? (
          <p className="muted">Nothing billed this month.</p>
        ) : (
          <ul>
            {v.totals.map((t) => (
              <li key={t.currency} data-testid={`total-${t.currency}`}>
                {money(t.spent, t.currency)} so far, {money(t.projected, t.currency)} projected
              </li>
            ))}
          </ul>
        )}
        {v.instances.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="cost-rows">
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Type</th>
                  <th scope="col">Location</th>
                  <th scope="col">Status</th>
                  <th scope="col">Spent</th>
                  <th scope="col">Projected</th>
                </tr>
              </thead>
              <tbody>
                {v.instances.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <a href={href.instance(i.id)}>{i.name}</a>
                    </td>
                    <td>{i.provider}</td>
                    <td>{i.serverType ?? '—'}</td>
                    <td>{i.location ?? '—'}</td>
                    <td>{i.status}</td>
                    <td>{money(i.spent, i.currency)}</td>
                    <td>{money(i.projected, i.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
