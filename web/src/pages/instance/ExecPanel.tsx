import { useState, type FormEvent } from 'react';
import { instanceExec, type ExecResult } from '../../api.ts';
import { ErrorBox } from '../../components/ErrorBox.tsx';
import { formatDuration } from '../../format.ts';
import { splitArgv } from './argv.ts';

const PRE = { maxHeight: 300, overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all' } as const;

/** Run one command (argv, no shell) on the server, where the instance allows exec. */
export function ExecPanel({ id }: { id: string }) {
  const [command, setCommand] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ExecResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const argv = splitArgv(command);
    if (!argv.length) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await instanceExec(id, argv));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="exec-panel">
      <form className="log-tools" onSubmit={(e) => void submit(e)}>
        <label style={{ flex: '1 1 14rem' }}>
          Command
          <input value={command} onChange={(e) => setCommand(e.target.value)} placeholder="uname -a" spellCheck={false} autoCapitalize="off" data-testid="exec-command" style={{ flex: 1, minWidth: 0 }} />
        </label>
        <button type="submit" className="btn btn-small btn-primary" disabled={busy || !command.trim()} data-testid="exec-run">
          {busy ? 'Running…' : 'Run'}
        </button>
      </form>
      <p className="muted">Runs without a shell: words split on spaces, quotes group them.</p>
      {error !== null && <ErrorBox error={error} title="Exec failed" />}
      {result && (
        <div data-testid="exec-result">
          <p>
            Exit code <strong data-testid="exec-exit">{result.exitCode ?? '—'}</strong>
            {result.signal && ` · signal ${result.signal}`}
            {result.timedOut && ' · timed out'} · {formatDuration(result.durationMs)}
          </p>
          {result.stdout && (
            <pre className="ops-pre" style={PRE} data-testid="exec-stdout">
              {result.stdout}
            </pre>
          )}
          {result.stderr && (
            <pre className="ops-pre text-danger" style={PRE} data-testid="exec-stderr">
              {result.stderr}
            </pre>
          )}
        </div>
      )}
    </div>
  );
}
