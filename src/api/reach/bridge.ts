import type { WebSocket } from 'ws';
import type { StreamChannel } from '../../domain/stream-channel.ts';
import { STREAM_CLIENT_BUFFER_BYTES } from '../../hub/limits.ts';
import { SshClientMessage } from './inputs.ts';

/** What a client's WebSocket carries besides bytes: a terminal's control messages, or nothing. */
export type BridgeMode = 'terminal' | 'raw';

/** How a bridged stream ended: the exit code of the process (terminals), or why it failed. */
export interface BridgeEnd {
  exitCode: number | null;
  error: string | null;
}

/**
 * Join a client's WebSocket (CLI, dashboard) to a stream on the agent, with backpressure both
 * ways: binary messages are bytes; in `terminal` mode, text messages are `{type:'resize',cols,rows}`
 * or `{type:'eof'}` from the client, and Hangar ends with `{type:'exit',code}` (or
 * `{type:'error',message}`) before closing.
 *
 * @example
 * bridge(ws, await hub.openStream(id, { kind: 'tcp', port: 18789 }), 'raw', (end) => log(end));
 */
export function bridge(ws: WebSocket, ch: StreamChannel, mode: BridgeMode, onEnd: (end: BridgeEnd) => void): void {
  let error: string | null = null;
  ch.on('error', (e: Error) => (error = e.message));
  ch.on('data', (d: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(d, { binary: true }, () => {
      if (ch.isPaused() && ws.bufferedAmount < STREAM_CLIENT_BUFFER_BYTES / 2) ch.resume();
    });
    if (ws.bufferedAmount > STREAM_CLIENT_BUFFER_BYTES) ch.pause();
  });
  ch.on('close', () => {
    const end = { exitCode: ch.exitCode, error };
    if (ws.readyState === ws.OPEN) {
      if (mode === 'terminal') ws.send(JSON.stringify(end.exitCode !== null ? { type: 'exit', code: end.exitCode } : { type: 'error', message: error ?? 'the stream closed' }));
      if (error && end.exitCode === null) ws.close(1011, error.slice(0, 120));
      else ws.close(1000, 'done');
    }
    onEnd(end);
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary || mode === 'raw') {
      if (!ch.write(data)) {
        ws.pause();
        ch.once('drain', () => ws.resume());
      }
      return;
    }
    let m;
    try {
      m = SshClientMessage.safeParse(JSON.parse(data.toString()));
    } catch {
      m = null;
    }
    if (!m?.success) return ws.close(1008, 'text messages are {"type":"resize","cols":N,"rows":N} or {"type":"eof"}');
    if (m.data.type === 'resize') ch.resize(m.data.cols, m.data.rows);
    else ch.end();
  });
  ws.on('close', () => ch.destroy());
  ws.on('error', () => ch.destroy());
}
