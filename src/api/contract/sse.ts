/** One dispatched event. */
export interface SseMessage {
  /** The last event id seen so far (it carries over to later events, as the spec says). */
  id: string | undefined;
  /** `event:` field, or `message` when none was given. */
  event: string;
  data: string;
  /** `retry:` reconnection delay in ms, if the stream set one. */
  retry?: number;
}

/**
 * The one Server-Sent Events parser of the clients (the CLI and the dashboard), per the WHATWG
 * "event stream interpretation": lines end in CRLF, LF or CR; `field: value` with one optional
 * space after the colon; lines starting with `:` are comments; a blank line dispatches the
 * buffered event. Chunks may split anywhere, including between the CR and LF of one line ending.
 *
 * @example
 * const p = new SseParser();
 * p.push('id: 1\ndata: {"a"'); // → []
 * p.push(':1}\n\n');           // → [{ id: '1', event: 'message', data: '{"a":1}' }]
 */
export class SseParser {
  private buffer = '';
  /** The previous chunk ended in CR: a leading LF in the next chunk belongs to that line ending. */
  private pendingCr = false;
  private started = false;
  private data: string[] = [];
  private eventType = '';
  private lastId: string | undefined;
  private retry: number | undefined;

  /** The id a reconnect should send as `Last-Event-ID`. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** Feed decoded text; returns the events completed by it. */
  push(text: string): SseMessage[] {
    if (!this.started && text.length) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (c === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** End of stream: an unterminated last event is discarded, as the spec says. */
  end(): void {
    this.buffer = '';
    this.data = [];
    this.eventType = '';
    this.pendingCr = false;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const data = this.data;
    const event = this.eventType || 'message';
    this.data = [];
    this.eventType = '';
    if (!data.length) return undefined;
    return { id: this.lastId, event, data: data.join('\n'), ...(this.retry !== undefined ? { retry: this.retry } : {}) };
  }
}

/**
 * The events of an SSE response body, as they complete. `onChunk` is told of every chunk read,
 * comments (`: ping`) included, so a caller can tell a quiet stream from a dead one. Cancels the
 * body when the caller stops early.
 *
 * @example
 * for await (const m of readEvents(res.body!)) console.log(m.id, JSON.parse(m.data));
 */
export async function* readEvents(body: ReadableStream<Uint8Array>, opts: { onChunk?: () => void } = {}): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      opts.onChunk?.();
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    parser.end();
  } finally {
    reader.cancel().catch(() => {});
  }
}
