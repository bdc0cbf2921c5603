import { describe, expect, it } from 'vitest';
import { readEvents, SseParser, type SseMessage } from './sse.ts';

/** A body that delivers `chunks` one read at a time. */
const stream = (chunks: string[]) => {
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
};
const collect = async (chunks: string[], onChunk?: () => void) => {
  const out: SseMessage[] = [];
  for await (const m of readEvents(stream(chunks), { onChunk })) out.push(m);
  return out;
};

describe('SseParser', () => {
  it('dispatches on a blank line; id carries over; event defaults to message', () => {
    const p = new SseParser();
    expect(p.push('id: 1\nevent: transition\ndata: {"a":1}\n\n')).toEqual([{ id: '1', event: 'transition', data: '{"a":1}' }]);
    expect(p.push('data: x\n\n')).toEqual([{ id: '1', event: 'message', data: 'x' }]);
    expect(p.lastEventId).toBe('1');
  });

  it('joins data lines, ignores comments and unknown fields, takes one space after the colon', () => {
    const p = new SseParser();
    expect(p.push(': ping\n\nfoo: bar\ndata:a\ndata:  b\ndata\n\n')).toEqual([{ id: undefined, event: 'message', data: 'a\n b\n' }]);
  });

  it('takes CRLF, LF and CR line ends, split anywhere (even inside CRLF), and a leading BOM', () => {
    const text = '\ufeffid: 7\r\ndata: one\r\n\r\nid: 8\rdata: two\r\rid: 9\ndata: three\n\n';
    const whole = new SseParser().push(text);
    expect(whole.map((m) => [m.id, m.data])).toEqual([['7', 'one'], ['8', 'two'], ['9', 'three']]);
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      expect([...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))], `cut at ${cut}`).toEqual(whole);
    }
  });

  it('keeps retry: when it is a number; an id with NUL is ignored; a frame without data is not dispatched', () => {
    const p = new SseParser();
    expect(p.push('retry: 2500\nid: 3\n\nretry: soon\nid: 4\0\ndata: d\n\n')).toEqual([{ id: '3', event: 'message', data: 'd', retry: 2500 }]);
  });
});

describe('readEvents', () => {
  it('reads a body chunk by chunk, tells of every chunk (pings too), drops an unterminated last event', async () => {
    let chunks = 0;
    const got = await collect(['id: 1\nda', 'ta: {"id":1}\n', '\n: ping\n\n', 'id: 2\ndata: half'], () => chunks++);
    expect(got).toEqual([{ id: '1', event: 'message', data: '{"id":1}' }]);
    expect(chunks).toBe(4);
  });

  it('decodes UTF-8 split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: ✔ done\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 7));
        c.enqueue(bytes.slice(7));
        c.close();
      },
    });
    const out: string[] = [];
    for await (const m of readEvents(body)) out.push(m.data);
    expect(out).toEqual(['✔ done']);
  });

  it('cancels the body when the reader stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new TextEncoder().encode('data: x\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const m of readEvents(body)) {
      expect(m.data).toBe('x');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
