import { useState, type FormEvent } from 'react';
import { exportAudit, listAudit, type AuditEntry, type AuditFilters } from '../api.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { useLoad, useTitle } from '../hooks.ts';

const objectOf = (r: AuditEntry) => (r.objectType ? `${r.objectType}${r.objectId ? `:${r.objectId}` : ''}` : (r.objectId ?? ''));
const failed = (outcome: string) => /^[45]\d\d$|^error$/.test(outcome);

/**
 * The audit log: who did what to which object, from where, with what outcome, newest first;
 * filtered by actor, action and object, paged with "Older", and downloadable as JSON lines.
 */
export function Audit() {
  useTitle('Audit log');
  const [draft, setDraft] = useState<AuditFilters>({});
  const [filters, setFilters] = useState<AuditFilters>({});
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const key = JSON.stringify(filters);
  const page = useLoad(() => listAudit(filters), key);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const clean = Object.fromEntries(Object.entries(draft).filter(([, v]) => v && v.trim())) as AuditFilters;
    setOlder([]);
    setCursor(null);
    setFilters(clean);
  };
  const nextCursor = cursor ?? (page.state === 'ok' ? page.value.nextCursor : null);
  const loadOlder = async () => {
    if (!nextCursor) return;
    setMore({ busy: true, error: null });
    try {
      const next = await listAudit({ ...filters, cursor: nextCursor });
      setOlder((o) => [...o, ...next.items]);
      setCursor(next.nextCursor ?? '');
      setMore({ busy: false, error: null });
    } catch (error) {
      setMore({ busy: false, error });
    }
  };
  const download = async () => {
    const blob = await exportAudit(filters);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'hangar-audit.jsonl';
    a.click();
    URL.revokeObjectURL(a.href);
  };
  const rows = page.state === 'ok' ? [...page.value.items, ...older] : [];

  return (
    <section className="page" aria-labelledby="audit-title">
      <div className="page-head">
        <div>
          <h1 id="audit-title">Audit log</h1>
          <p className="muted">Every change, sensitive read and automatic action: who, what, which object, from where, and the outcome. Secret values are never kept.</p>
        </div>
        <button type="button" className="btn" onClick={() => void download()} data-testid="audit-export">
          Download JSON lines
        </button>
      </div>
      <form className="filters" onSubmit={apply} data-testid="audit-filters" aria-label="Filter the audit log">
        {(['actor', 'action', 'object'] as const).map((f) => (
          <div key={f} className="field">
            <label htmlFor={`audit-${f}`}>{f === 'actor' ? 'Actor' : f === 'action' ? 'Action (a prefix ends in *)' : 'Object (type or type:id)'}</label>
            <input id={`audit-${f}`} name={f} spellCheck={false} value={draft[f] ?? ''} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} data-testid={`audit-filter-${f}`} placeholder={f === 'actor' ? 'api:ci' : f === 'action' ? 'POST *' : 'instance:…'} />
          </div>
        ))}
        <button type="submit" className="btn btn-primary" data-testid="audit-apply">
          Filter
        </button>
      </form>
      {page.state === 'loading' && (
        <p className="muted loading" role="status">
          Loading the audit log…
        </p>
      )}
      {page.state === 'error' && <ErrorBox error={page.error} title="Could not load the audit log" />}
      {page.state === 'ok' && rows.length === 0 && <p className="muted" data-testid="audit-empty">No audit rows match.</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="table table-cards" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Object</th>
                <th scope="col">Outcome</th>
                <th scope="col">From</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="audit-row" data-action={r.action} data-outcome={r.outcome}>
                  <td data-label="Time">
                    <time dateTime={r.at}>{r.at.replace('T', ' ').slice(0, 19)}</time>
                  </td>
                  <td data-label="Actor">{r.actor}</td>
                  <td data-label="Action">
                    <code>{r.action}</code>
                  </td>
                  <td data-label="Object">{objectOf(r)}</td>
                  <td data-label="Outcome">
                    <span className={`badge ${failed(r.outcome) ? 'badge-failed' : 'badge-running'}`}>{r.outcome}</span>
                  </td>
                  <td data-label="From">{r.ip ?? ''}</td>
                  <td data-label="Reason">{r.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more.error !== null && <ErrorBox error={more.error} title="Could not load older rows" />}
      {nextCursor && (
        <button type="button" className="btn" onClick={() => void loadOlder()} disabled={more.busy} data-testid="audit-older">
          {more.busy ? 'Loading…' : 'Older'}
        </button>
      )}
    </section>
  );
}
