import { ApiError, NetworkError, readEvents, type ApiClient } from '../api/contract/index.ts';
import type { InstanceEvent } from '../api/contract/types.ts';

export interface FollowOptions {
  /** Resume after this event id (0: from the first event). */
  after?: number;
  signal?: AbortSignal;
  /** Reconnect delay when the server sets none, ms. */
  retryMs?: number;
  /** Give up after this many reconnects in a row that could not connect. */
  maxRetries?: number;
  /** Abort and reconnect a stream that has been silent this long (the server pings every 15 s), ms. */
  idleMs?: number;
  /** Called before each reconnect, e.g. to tell the user. */
  onReconnect?: (attempt: number, err: Error) => void;
}

/**
 * Follow an instance's events over SSE: replays everything after `after`, then streams live.
 * If the stream drops (or goes silent past `idleMs`), it reconnects with `Last-Event-ID`, so no
 * event is lost or repeated. Ends only when the caller stops iterating or `signal` aborts; a
 * 4xx (401, 404) ends it with that ApiError, too many failed reconnects with a NetworkError.
 *
 * @example
 * for await (const e of followEvents(api, url, id, { after: 0 })) console.log(e.kind);
 */
export async function* followEvents(api: ApiClient, url: string, id: string, opts: FollowOptions = {}): AsyncGenerator<InstanceEvent> {
  let lastId = opts.after ?? 0;
  let retryMs = opts.retryMs ?? 1000;
  const maxRetries = opts.maxRetries ?? 10;
  const idleMs = opts.idleMs ?? 45_000;
  let failures = 0;
  for (;;) {
    if (opts.signal?.aborted) return;
    const conn = new AbortController();
    const onAbort = () => conn.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => conn.abort(new Error(`no data for ${Math.round(idleMs / 1000)}s`)), idleMs);
    };
    let dropped: Error;
    try {
      arm();
      const { data: stream } = await api.GET('/v1/instances/{id}/events', {
        params: { path: { id }, header: { 'Last-Event-ID': lastId ? String(lastId) : undefined } },
        headers: { accept: 'text/event-stream' },
        parseAs: 'stream',
        signal: conn.signal,
      });
      if (!stream) throw new Error('empty response body');
      failures = 0; // connected: count only reconnects that fail to connect
      for await (const msg of readEvents(stream, { onChunk: arm })) {
        if (msg.retry !== undefined) retryMs = msg.retry;
        let event: InstanceEvent;
        try {
          event = JSON.parse(msg.data) as InstanceEvent;
        } catch {
          continue; // not one of ours
        }
        if (typeof event.id === 'number' && event.id <= lastId) continue;
        lastId = typeof event.id === 'number' ? event.id : Number(msg.id) || lastId;
        yield event;
      }
      dropped = new Error('stream ended');
    } catch (err) {
      if (opts.signal?.aborted) return;
      if (err instanceof ApiError && err.status < 500) throw err; // 401, 404…: reconnecting will not help
      dropped = conn.signal.aborted && conn.signal.reason instanceof Error ? conn.signal.reason : (err as Error);
    } finally {
      clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      conn.abort();
    }
    failures++;
    if (failures > maxRetries) throw dropped instanceof NetworkError ? dropped : new NetworkError(url, `event stream lost: ${dropped.message}`);
    opts.onReconnect?.(failures, dropped);
    await sleep(Math.min(retryMs * failures, 10_000), opts.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
