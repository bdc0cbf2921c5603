/** One server-sent event: its `id:`, `event:` and `data:` fields. */
export interface Frame {
  id: string | null;
  event: string | null;
  data: string;
}

/**
 * Parse an SSE byte stream into frames (per the HTML living standard's rules). Pure parsing:
 * the request itself is made by api.ts (followEvents).
 *
 * @example
 * await readFrames(res.body, (f) => console.log(f.id, f.data));
 */
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
