import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
let id: string;
beforeAll(async () => {
  h = await startTestHangar('routes-events');
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'events' } });
  id = ((await res.json()) as { id: string }).id;
  await h.waitFor(id, (r) => r.status === 'running');
});
afterAll(async () => {
  await h?.close();
});

describe('event routes', () => {
  it('pages JSON events after an id', async () => {
    const all = ((await (await h.api(`/v1/instances/${id}/events`)).json()) as { items: { id: number }[] }).items;
    expect(all.length).toBeGreaterThan(2);
    const after = ((await (await h.api(`/v1/instances/${id}/events?after=${all[1].id}`)).json()) as { items: { id: number }[] }).items;
    expect(after[0].id).toBe(all[2].id);
  });

  it('a Last-Event-ID that is not an event id is a 400 naming it (not a stream of nothing)', async () => {
    for (const v of ['1.5', '1e20', 'Infinity']) {
      const res = await h.api(`/v1/instances/${id}/events`, { headers: { accept: 'text/event-stream', 'last-event-id': v } });
      expect(res.status, v).toBe(400);
      expect(((await res.json()) as { errors: { field: string }[] }).errors[0].field).toBe('Last-Event-ID');
    }
  });

  it('SSE replays after Last-Event-ID, each frame with its id', async () => {
    const all = ((await (await h.api(`/v1/instances/${id}/events`)).json()) as { items: { id: number }[] }).items;
    const ctl = new AbortController();
    const res = await h.api(`/v1/instances/${id}/events`, { headers: { accept: 'text/event-stream', 'last-event-id': String(all[0].id) }, signal: ctl.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(`id: ${all[all.length - 1].id}\n`)) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    expect(text).not.toContain(`id: ${all[0].id}\n`);
    expect(text).toContain(`id: ${all[1].id}\n`);
  });
});
