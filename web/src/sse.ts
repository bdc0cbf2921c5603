import { readEvents } from '../../src/api/contract/index.ts';

/** One server-sent event: its `id:` (the last one seen), `event:` and `data:` fields. */
export interface Frame {
  id: string | null;
  event: string | null;
  data: string;
}

/**
 * Parse an SSE byte stream into frames with the contract's one SSE parser (the CLI's too). Pure
 * parsing: the request itself is made by api.ts (followEvents).
 *
 * @example
 * await readFrames(res.body, (f) => console.log(f.id, f.data));
 */
export async function readFrames(body: ReadableStream<Uint8Array>, onFrame: (f: Frame) => void): Promise<void> {
  for await (const m of readEvents(body)) onFrame({ id: m.id ?? null, event: m.event, data: m.data });
}
