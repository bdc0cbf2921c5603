import { ApiError, notifyUnauthorized, session } from './api.ts';
import type { InstanceEvent } from './types.ts';

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StreamOptions {
  /** Resume after this event id (sent as Last-Event-ID). */
  lastEventId?: number;
  onEvent: (e: InstanceEvent) => void;
  onState?: (s: StreamState) => void;
}

export interface StreamHandle {
  close(): void;
}

/**
 * Follow an SSE endpoint of the API with fetch() and a ReadableStream (EventSource cannot send
 * the Authorization header). Reconnects with backoff, resuming with `Last-Event-ID` so no event
 * is missed or repeated; a 401 signs the session out.
 *
 * @example
 * const s = openEventStream('/v1/events', { onEvent: (e) => console.log(e.kind) });
 * s.close();
 */
export function openEventStream(path: string, opts: StreamOptions): StreamHandle {
  const ctrl = new AbortController();
  let lastId = opts.lastEventId ?? 0;
  let closed = false;
  const state = (s: StreamState) => opts.onState?.(s);

  const run = async () => {
    let backoff = 500;
    state('connecting');
    while (!closed) {
      try {
        const key = session.get();
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (key) headers.authorization = `Bearer ${key}`;
        if (lastId) headers['last-event-id'] = String(lastId);
        const res = await fetch(path, { headers, signal: ctrl.signal, cache: 'no-store' });
        if (res.status === 401) {
          notifyUnauthorized(new ApiError(401, null, 'API key rejected'));
          break;
        }
        if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
        state('open');
        backoff = 500;
        await readFrames(res.body, (frame) => {
          if (frame.id) lastId = Number(frame.id) || lastId;
          if (!frame.data) return;
          try {
            opts.onEvent(JSON.parse(frame.data) as InstanceEvent);
          } catch (err) {
            // A bad frame or a throwing handler must not kill the stream.
            if (!(err instanceof SyntaxError)) setTimeout(() => { throw err; });
          }
        });
      } catch (err) {
        if (closed || (err as Error).name === 'AbortError') break;
      }
      if (closed) break;
      state('reconnecting');
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 15_000);
    }
    state('closed');
  };
  void run();
  return {
    close() {
      closed = true;
      ctrl.abort();
    },
  };
}

interface Frame {
  id: string | null;
  event: string | null;
  data: string;
}

/** Parse an SSE byte stream into frames (per the HTML living standard's rules). */
export async function readFrames(body: ReadableStream<Uint8Array>, onFrame: (f: Frame) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let frame: Frame = { id: null, event: null, data: '' };
  let hasData = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        // A lone trailing \r may be the first half of \r\n: wait for more input.
        if (buf[nl] === '\r' && nl === buf.length - 1) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (hasData || frame.id) onFrame({ ...frame, data: frame.data.endsWith('\n') ? frame.data.slice(0, -1) : frame.data });
          frame = { id: null, event: null, data: '' };
          hasData = false;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value2 = colon < 0 ? '' : line.slice(colon + 1);
        if (value2.startsWith(' ')) value2 = value2.slice(1);
        if (field === 'data') {
          frame.data += `${value2}\n`;
          hasData = true;
        } else if (field === 'id') frame.id = value2;
        else if (field === 'event') frame.event = value2;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
