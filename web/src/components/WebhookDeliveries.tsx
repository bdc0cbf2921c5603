import { useEffect, useState } from 'react';
import { listWebhookDeliveries, redeliverWebhook, type WebhookDelivery, type WebhookEndpoint } from '../api.ts';
import { ApiProblem } from './ApiProblem.tsx';
import { ErrorBox } from './ErrorBox.tsx';

/** An endpoint's delivery log, newest first, refreshed every 2 s while shown, with redelivery. */
export function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [rows, setRows] = useState<WebhookDelivery[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const ctrl = new AbortController();
    listWebhookDeliveries(endpoint.id, { signal: ctrl.signal }).then(
      (r) => {
        setRows(r);
        setLoadError(null);
      },
      (err: unknown) => !ctrl.signal.aborted && setLoadError(err),
    );
    const t = setTimeout(() => setTick((n) => n + 1), 2000);
    return () => {
      ctrl.abort();
      clearTimeout(t);
    };
  }, [endpoint.id, tick]);

  const redeliver = async (d: WebhookDelivery) => {
    setError(null);
    try {
      await redeliverWebhook(endpoint.id, d.id);
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="card" aria-labelledby="deliveries-title" data-testid="webhook-deliveries" data-endpoint={endpoint.id}>
      <h2 id="deliveries-title">
        Deliveries to <span className="mono" style={{ overflowWrap: 'anywhere' }}>{endpoint.url}</span>
      </h2>
      {error !== null && <ApiProblem error={error} title="Could not redeliver" />}
      {loadError !== null && <ErrorBox error={loadError} title="Could not load the delivery log" />}
      {rows === null && loadError === null && <p className="muted loading" role="status">Loading deliveries…</p>}
      {rows?.length === 0 && (
        <p className="muted" data-testid="deliveries-empty">
          Nothing delivered yet. Press “Test” to send a webhook.test message.
        </p>
      )}
      {rows && rows.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="deliveries-table">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Code</th>
                <th scope="col">Latency</th>
                <th scope="col">Attempts</th>
                <th scope="col">When</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id} data-testid="delivery-row" data-status={d.status} data-event={d.eventType}>
                  <td>{d.eventType}</td>
                  <td data-testid="delivery-status" title={d.lastError ?? undefined}>
                    {d.status}
                    {d.lastError ? ` (${d.lastError})` : ''}
                  </td>
                  <td data-testid="delivery-code">{d.lastStatus ?? '—'}</td>
                  <td>{d.lastLatencyMs === null ? '—' : `${d.lastLatencyMs} ms`}</td>
                  <td data-testid="delivery-attempts">{d.attempts}</td>
                  <td>{new Date(d.createdAt).toLocaleString()}</td>
                  <td>
                    <button type="button" className="btn btn-small" onClick={() => void redeliver(d)} data-testid="delivery-redeliver">
                      Redeliver
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
