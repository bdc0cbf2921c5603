import { useCallback, useEffect, useState } from 'react';
import { instanceDoctor, instanceRestart, instanceSmoke, instanceStatus, type InstanceStatus } from '../../api.ts';
import { ErrorBox } from '../../components/ErrorBox.tsx';
import type { Instance } from '../../types.ts';
import { ExecPanel } from './ExecPanel.tsx';
import { LogsPanel } from './LogsPanel.tsx';
import { DoctorResult, RestartResultView, SmokeResultView, StatusResult } from './OpsResults.tsx';

type Op = 'status' | 'doctor' | 'logs' | 'smoke' | 'restart' | 'exec';
type Panel = { op: Op; busy: boolean; data?: unknown; error?: unknown };

const TITLES: Record<Op, string> = { status: 'Status', doctor: 'Doctor', logs: 'Logs', smoke: 'Smoke test', restart: 'Restart', exec: 'Run a command' };

/**
 * Operate the instance's agent: status, doctor, logs, smoke, restart and (where the instance
 * allows it) exec, one result panel at a time; a failed call shows the server's message.
 */
export function OpsCard({ instance }: { instance: Instance }) {
  const id = instance.id;
  const [status, setStatus] = useState<InstanceStatus | null>(null);
  const [panel, setPanel] = useState<Panel | null>(null);

  // The status says whether exec is enabled: read once the agent is connected (again).
  const connected = instance.connection === 'connected';
  useEffect(() => {
    if (!connected) return;
    const ctrl = new AbortController();
    instanceStatus(id, { signal: ctrl.signal })
      .then(setStatus)
      .catch(() => {}); // the Status button shows errors; exec stays as last known
    return () => ctrl.abort();
  }, [id, connected]);

  const run = useCallback(async (op: Op, fn: () => Promise<unknown>) => {
    setPanel({ op, busy: true });
    try {
      const data = await fn();
      if (op === 'status') setStatus(data as InstanceStatus);
      setPanel((p) => (p?.op === op ? { op, busy: false, data } : p));
    } catch (err) {
      setPanel((p) => (p?.op === op ? { op, busy: false, error: err } : p));
    }
  }, []);

  const busy = panel?.busy === true;
  const button = (op: Op, onClick: () => void, needsAgent = true) => (
    <button type="button" className={`btn btn-small${panel?.op === op ? ' btn-primary' : ''}`} onClick={onClick} disabled={busy || (needsAgent && !connected)} data-testid={`op-${op}`}>
      {TITLES[op]}
    </button>
  );

  return (
    <section className="card" aria-labelledby="ops-title" data-testid="ops-card">
      <div className="card-head">
        <h2 id="ops-title">Operate</h2>
        <div className="page-head-actions">
          {button('status', () => void run('status', () => instanceStatus(id)), false)}
          {button('doctor', () => void run('doctor', () => instanceDoctor(id)))}
          {button('logs', () => setPanel({ op: 'logs', busy: false }))}
          {button('smoke', () => void run('smoke', () => instanceSmoke(id)))}
          {button('restart', () => void run('restart', () => instanceRestart(id, 'workload')))}
          {status?.execEnabled === true && button('exec', () => setPanel({ op: 'exec', busy: false }))}
        </div>
      </div>
      {!connected && <p className="muted">The agent is not connected: commands run once it is.</p>}
      {panel && (
        <div className="ops-result" data-testid={`ops-result-${panel.op}`} data-state={panel.busy ? 'busy' : panel.error ? 'error' : 'done'} aria-live="polite">
          <h3>{TITLES[panel.op]}</h3>
          {panel.busy && (
            <p className="muted" role="status">
              Running {TITLES[panel.op].toLowerCase()}…
            </p>
          )}
          {panel.error !== undefined && <ErrorBox error={panel.error} title={`${TITLES[panel.op]} failed`} />}
          {panel.data !== undefined && panel.op === 'status' && <StatusResult status={panel.data as InstanceStatus} />}
          {panel.data !== undefined && panel.op === 'doctor' && <DoctorResult report={panel.data as Parameters<typeof DoctorResult>[0]['report']} />}
          {panel.data !== undefined && panel.op === 'smoke' && <SmokeResultView result={panel.data as Parameters<typeof SmokeResultView>[0]['result']} />}
          {panel.data !== undefined && panel.op === 'restart' && <RestartResultView result={panel.data as Parameters<typeof RestartResultView>[0]['result']} />}
          {panel.op === 'logs' && <LogsPanel id={id} />}
          {panel.op === 'exec' && <ExecPanel id={id} />}
        </div>
      )}
    </section>
  );
}
