import { useCallback, useEffect, useRef, useState } from 'react';
import { instanceLogs, isAbort, type LogsResult, type LogUnit } from '../../api.ts';
import { ErrorBox } from '../../components/ErrorBox.tsx';

const UNITS: LogUnit[] = ['agent', 'bootstrap', 'workload'];
/** How often "follow" asks again. */
const FOLLOW_MS = 2000;

/** The last lines of one unit (agent, bootstrap, workload); "follow" polls while it is on. */
export function LogsPanel({ id }: { id: string }) {
  const [unit, setUnit] = useState<LogUnit>('agent');
  const [follow, setFollow] = useState(false);
  const [logs, setLogs] = useState<LogsResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const seq = useRef(0);
  const pre = useRef<HTMLPreElement>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++seq.current;
      setBusy(true);
      try {
        const r = await instanceLogs(id, unit, 200, { signal });
        if (mine !== seq.current) return;
        setLogs(r);
        setError(null);
      } catch (err) {
        if (!isAbort(err) && mine === seq.current) setError(err);
      } finally {
        if (mine === seq.current) setBusy(false);
      }
    },
    [id, unit],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    setLogs(null);
    void load(ctrl.signal);
    return () => ctrl.abort();
  }, [load]);

  useEffect(() => {
    if (!follow) return;
    const t = setInterval(() => void load(), FOLLOW_MS);
    return () => clearInterval(t);
  }, [follow, load]);

  // Following keeps the newest line in view.
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [follow, logs]);

  return (
    <div data-testid="logs-panel" data-unit={logs?.unit ?? ''}>
      <div className="log-tools">
        <label>
          Unit
          <select value={unit} onChange={(e) => setUnit(e.target.value as LogUnit)} data-testid="logs-unit">
            {UNITS.map((u) => (
              <option key={u} value={u}>
                {u}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} data-testid="logs-follow" /> Follow
        </label>
        <button type="button" className="btn btn-small" onClick={() => void load()} disabled={busy} data-testid="logs-refresh">
          Refresh
        </button>
        {busy && <span className="muted">loading…</span>}
      </div>
      {error !== null && <ErrorBox error={error} title="Could not read the logs" />}
      {logs && (
        <>
          {logs.omitted ? <p className="muted">{logs.omitted} earlier lines left out.</p> : null}
          <pre ref={pre} className="ops-pre" data-testid="logs-lines" style={{ maxHeight: 360, overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {logs.lines.length ? logs.lines.join('\n') : '(no lines)'}
          </pre>
        </>
      )}
    </div>
  );
}
