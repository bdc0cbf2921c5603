import type { DoctorReport, InstanceStatus, RestartResult, SmokeResult } from '../../api.ts';
import { formatDuration, formatTime } from '../../format.ts';

const TONE: Record<string, string> = { pass: 'text-success', warn: 'text-warning', fail: 'text-danger' };

/** GET status: the row's view and the agent's own report. */
export function StatusResult({ status: s }: { status: InstanceStatus }) {
  return (
    <>
      <dl className="facts" data-testid="status-result">
        <dt>Status</dt>
        <dd>{s.status}</dd>
        <dt>Connection</dt>
        <dd>{s.connection}</dd>
        <dt>Agent version</dt>
        <dd>{s.agentVersion ?? '—'}</dd>
        <dt>Workload healthy</dt>
        <dd>{s.workloadHealthy === null ? '—' : s.workloadHealthy ? 'yes' : 'no'}</dd>
        <dt>Exec</dt>
        <dd>{s.execEnabled ? 'enabled' : 'disabled'}</dd>
        <dt>Last smoke</dt>
        <dd>{s.lastSmoke ? `${s.lastSmoke.result} · ${formatTime(s.lastSmoke.at)}` : 'none'}</dd>
      </dl>
      {s.agentError && <p className="text-danger">{s.agentError}</p>}
      {s.agent && <pre className="ops-pre">{JSON.stringify(s.agent, null, 2)}</pre>}
    </>
  );
}

/** POST doctor: one row a check. */
export function DoctorResult({ report }: { report: DoctorReport }) {
  return (
    <>
      <p>
        Overall: <strong className={TONE[report.status]} data-testid="doctor-status">{report.status}</strong>
      </p>
      <div className="table-wrap">
        <table className="table" data-testid="doctor-checks">
          <thead>
            <tr>
              <th>Check</th>
              <th>Result</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {report.checks.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td className={TONE[c.status]}>{c.status}</td>
                <td>
                  {c.detail}
                  {c.hint && <div className="muted">{c.hint}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** POST smoke: pass or fail, and why. */
export function SmokeResultView({ result: r }: { result: SmokeResult }) {
  return (
    <p data-testid="smoke-result">
      <strong className={TONE[r.result]}>{r.result === 'pass' ? 'Passed' : 'Failed'}</strong> ({r.kind}, {formatDuration(r.durationMs)}){r.detail ? `: ${r.detail}` : ''}
    </p>
  );
}

/** POST restart: what restarted and whether it came back healthy. */
export function RestartResultView({ result: r }: { result: RestartResult }) {
  const health = r.healthy === undefined ? '' : r.healthy ? ', healthy' : ', not healthy';
  return (
    <p data-testid="restart-result">
      <strong>{r.restarted === 'agent' ? 'Agent' : 'Workload'} restarted</strong>
      {health}
      {r.durationMs !== undefined && ` in ${formatDuration(r.durationMs)}`}
      {r.note && <span className="muted"> ({r.note})</span>}
    </p>
  );
}
