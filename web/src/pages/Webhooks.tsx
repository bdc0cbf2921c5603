import { useState, type FormEvent } from 'react';
import { createWebhook, deleteWebhook, listWebhooks, testWebhook, type WebhookEndpoint, type WebhookEndpointCreated, type WebhookInput } from '../api.ts';
import { ApiProblem, fieldError } from '../components/ApiProblem.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Field } from '../components/Field.tsx';
import { useLoad, useTitle } from '../hooks.ts';
import { Deliveries } from '../components/WebhookDeliveries.tsx';

/** The event types an endpoint can subscribe to ("*": all of them). */
export const WEBHOOK_EVENTS = ['*', 'instance.running', 'instance.failed', 'instance.stopped', 'instance.pending', 'instance.provisioning', 'instance.stopping', 'instance.connected', 'instance.connect_timeout', 'instance.connection_lost', 'instance.connection_back', 'instance.unreachable', 'instance.smoke_failed', 'instance.idle_stopped', 'instance.ttl_expired', 'budget.warning', 'orphan.found', 'orphan.deleted', 'release.rolled_back', 'webhook.test', 'webhook.disabled'];

/**
 * Webhook endpoints of the project: add one (its whsec_ secret is shown once), list, send a test,
 * remove, and read an endpoint's delivery log with redelivery.
 */
export function Webhooks() {
  useTitle('Webhooks');
  const [version, setVersion] = useState(0);
  const hooks = useLoad(() => listWebhooks(), `webhooks-${version}`);
  const [created, setCreated] = useState<WebhookEndpointCreated | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [deliveriesVersion, setDeliveriesVersion] = useState(0);
  const [error, setError] = useState<{ title: string; error: unknown } | null>(null);
  const reload = () => setVersion((v) => v + 1);

  const act = async (title: string, fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      setError({ title, error: err });
      return false;
    }
  };
  const remove = async (w: WebhookEndpoint) => {
    if (!window.confirm(`Remove the endpoint ${w.url} and its delivery log?`)) return;
    if (await act('Could not remove the endpoint', () => deleteWebhook(w.id))) {
      if (open === w.id) setOpen(null);
      reload();
    }
  };
  const test = async (w: WebhookEndpoint) => {
    if (await act('Could not send a test', () => testWebhook(w.id))) {
      setOpen(w.id);
      setDeliveriesVersion((v) => v + 1);
    }
  };

  return (
    <section className="page" aria-labelledby="webhooks-title">
      <div className="page-head">
        <div>
          <h1 id="webhooks-title">Webhooks</h1>
          <p className="muted">Hangar POSTs events to these URLs, signed per Standard Webhooks. An endpoint that fails for 24 hours is disabled.</p>
        </div>
      </div>
      <AddWebhook
        onCreated={(w) => {
          setCreated(w);
          reload();
        }}
      />
      {created && (
        <div className="card callout callout-success" role="status" data-testid="webhook-created">
          <p>
            Endpoint added. Its signing secret, shown <strong>only now</strong>:
          </p>
          <p>
            <code data-testid="webhook-secret" style={{ overflowWrap: 'anywhere' }}>{created.secret}</code>{' '}
            <button type="button" className="btn btn-small" onClick={() => void navigator.clipboard?.writeText(created.secret)} data-testid="webhook-secret-copy">
              Copy
            </button>
          </p>
          <button type="button" className="btn btn-small" onClick={() => setCreated(null)} data-testid="webhook-secret-dismiss">
            I saved it
          </button>
        </div>
      )}
      {error && <ApiProblem error={error.error} title={error.title} />}
      {hooks.state === 'loading' && <p className="muted loading" role="status">Loading webhooks…</p>}
      {hooks.state === 'error' && <ErrorBox error={hooks.error} title="Could not load webhooks" onRetry={reload} />}
      {hooks.state === 'ok' && hooks.value.length === 0 && (
        <p className="muted" data-testid="webhooks-empty">
          No endpoints yet. Add one above to be told when instances start, fail or stop.
        </p>
      )}
      {hooks.state === 'ok' && hooks.value.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="webhooks-table">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Format</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {hooks.value.map((w) => (
                <tr key={w.id} data-testid="webhook-row" data-id={w.id} data-url={w.url}>
                  <td className="mono" style={{ overflowWrap: 'anywhere' }}>{w.url}</td>
                  <td>{w.events.join(', ')}</td>
                  <td>{w.format}</td>
                  <td data-testid="webhook-state">{w.enabled ? (w.failingSince ? `failing since ${new Date(w.failingSince).toLocaleString()}` : 'enabled') : `disabled${w.disabledReason ? `: ${w.disabledReason}` : ''}`}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-small" onClick={() => void test(w)} data-testid="webhook-test">
                      Test
                    </button>{' '}
                    <button type="button" className="btn btn-small" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? null : w.id)} data-testid="webhook-deliveries-toggle">
                      Deliveries
                    </button>{' '}
                    <button type="button" className="btn btn-small btn-danger" onClick={() => void remove(w)} data-testid="webhook-delete">
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && hooks.state === 'ok' && hooks.value.some((w) => w.id === open) && <Deliveries key={`${open}-${deliveriesVersion}`} endpoint={hooks.value.find((w) => w.id === open)!} />}
    </section>
  );
}

/** The add form: URL, events (multi-select), format. */
function AddWebhook({ onCreated }: { onCreated: (w: WebhookEndpointCreated) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['*']);
  const [format, setFormat] = useState<WebhookInput['format']>('standard');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onCreated(await createWebhook({ url: url.trim(), events, format }));
      setUrl('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} data-testid="webhook-form" aria-labelledby="webhook-add-title">
      <h2 id="webhook-add-title">Add an endpoint</h2>
      <div className="grid-3">
        <Field name="url" label="URL" error={fieldError(error, 'url')} hint="https://… (http only when the server allows it)">
          {(p) => <input {...p} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/hangar" />}
        </Field>
        <Field name="events" label="Events" error={fieldError(error, 'events')} hint="Ctrl/⌘-click to choose several; * is every event">
          {(p) => (
            <select {...p} multiple size={5} value={events} onChange={(e) => setEvents(Array.from(e.target.selectedOptions, (o) => o.value))}>
              {WEBHOOK_EVENTS.map((ev) => (
                <option key={ev} value={ev}>
                  {ev === '*' ? '* (all events)' : ev}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="format" label="Format" error={fieldError(error, 'format')} hint="standard: signed envelope; slack: { text }; json: one flat object">
          {(p) => (
            <select {...p} value={format} onChange={(e) => setFormat(e.target.value as WebhookInput['format'])}>
              <option value="standard">standard</option>
              <option value="slack">slack</option>
              <option value="json">json</option>
            </select>
          )}
        </Field>
      </div>
      {error !== null && <ApiProblem error={error} title="Could not add the endpoint" />}
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="webhook-create">
        {busy ? 'Adding…' : 'Add endpoint'}
      </button>
    </form>
  );
}
