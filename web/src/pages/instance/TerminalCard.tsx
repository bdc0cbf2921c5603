import '@xterm/xterm/css/xterm.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import { instanceTicket, openTerminal } from '../../api.ts';
import { ErrorBox } from '../../components/ErrorBox.tsx';
import type { Instance } from '../../types.ts';

type State = { kind: 'idle' } | { kind: 'opening' } | { kind: 'open' } | { kind: 'ended'; detail: string } | { kind: 'failed'; error: unknown };

/**
 * The instance's shell in the page (xterm.js over the `/ssh` WebSocket, opened with a terminal
 * ticket) and the "Open" button of the workload's own UI (a proxy sign-in link in a new tab).
 */
export function TerminalCard({ instance }: { instance: Instance }) {
  const box = useRef<HTMLDivElement>(null);
  const session = useRef<{ ws: WebSocket; term: Terminal; off: () => void } | null>(null);
  const [state, setState] = useState<State>({ kind: 'idle' });
  const [proxyError, setProxyError] = useState<unknown>(null);
  const connected = instance.connection === 'connected';

  useEffect(() => () => close(), []);

  function close() {
    const s = session.current;
    session.current = null;
    if (!s) return;
    s.off();
    s.ws.close();
    s.term.dispose();
  }

  async function open() {
    close();
    setState({ kind: 'opening' });
    let term: Terminal | null = null;
    try {
      term = new Terminal({ cursorBlink: true, fontSize: 13, convertEol: false });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(box.current!);
      fit.fit();
      const ws = await openTerminal(instance.id, term.cols, term.rows);
      const enc = new TextEncoder();
      const input = term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(enc.encode(d)));
      const resized = term.onResize(({ cols, rows }) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'resize', cols, rows })));
      const onWindow = () => fit.fit();
      window.addEventListener('resize', onWindow);
      let ended = 'the connection closed';
      ws.onopen = () => {
        setState({ kind: 'open' });
        // Fit once the card shows the terminal: the new size goes to the shell as a resize.
        requestAnimationFrame(() => fit.fit());
        term!.focus();
      };
      ws.onmessage = (e) => {
        if (typeof e.data !== 'string') return term!.write(new Uint8Array(e.data as ArrayBuffer));
        const m = JSON.parse(e.data) as { type: string; code?: number; message?: string };
        ended = m.type === 'exit' ? `exited with code ${m.code}` : `failed: ${m.message}`;
      };
      ws.onclose = (e) => {
        if (e.code !== 1000 && e.reason) ended = e.reason;
        setState({ kind: 'ended', detail: ended });
      };
      session.current = { ws, term: term!, off: () => (input.dispose(), resized.dispose(), window.removeEventListener('resize', onWindow)) };
    } catch (error) {
      term?.dispose();
      setState({ kind: 'failed', error });
    }
  }

  async function openUi() {
    setProxyError(null);
    try {
      const { url } = await instanceTicket(instance.id, 'proxy');
      window.open(url, '_blank', 'noopener,noreferrer');
    } catch (error) {
      setProxyError(error);
    }
  }

  return (
    <section className="card" aria-labelledby="terminal-title" data-testid="terminal-card">
      <div className="card-head">
        <h2 id="terminal-title">Terminal</h2>
        <div className="page-head-actions">
          <button type="button" className="btn" onClick={() => void openUi()} disabled={!connected} data-testid="open-ui" title="the workload's own web UI, through Hangar">
            Open
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void open()} disabled={!connected || state.kind === 'opening'} data-testid="terminal-open">
            {state.kind === 'open' ? 'Reconnect' : 'Open terminal'}
          </button>
        </div>
      </div>
      {!connected && <p className="muted">The agent is not connected: the terminal and the workload UI open once it is.</p>}
      {state.kind === 'ended' && (
        <p className="muted" role="status" data-testid="terminal-status">
          Shell {state.detail}.
        </p>
      )}
      {state.kind === 'failed' && <ErrorBox error={state.error} title="Could not open the terminal" />}
      {proxyError !== null && <ErrorBox error={proxyError} title="Could not open the workload UI" />}
      <div ref={box} className="terminal" data-testid="terminal" hidden={state.kind === 'idle' || state.kind === 'failed'} />
    </section>
  );
}
