import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDocumented } from '../../../test/helpers/contract.ts';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';
import { CLOSED_PORT_URL, withPublicUrl } from '../../../test/helpers/hub-agent.ts';

interface Row { id: string; actor: string; actorKind: string; action: string; objectType: string | null; objectId: string | null; outcome: string; reason: string | null; ip: string | null; userAgent: string | null; data: Record<string, unknown> | null }

let h: TestHangar;
let id: string;
const SECRET = 'hz-very-secret-token-0123456789';

async function audit(query = ''): Promise<{ items: Row[]; nextCursor: string | null }> {
  const res = await h.api(`/v1/audit${query}`);
  const body = await res.json();
  expectDocumented('get', '/v1/audit', res.status, res.headers.get('content-type'), body);
  return body;
}

/** Audit rows are written once the response is sent: wait until `pred` holds of the log. */
async function until(query: string, pred: (rows: Row[]) => boolean): Promise<Row[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { items } = await audit(query);
    if (pred(items)) return items;
    if (Date.now() > deadline) throw new Error(`waited 10 s for audit rows matching ${query}: ${JSON.stringify(items.slice(0, 5))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  h = await startTestHangar('routes-audit');
  // Its agent must never enroll (an anonymous 200 in the log): the provision step renders the
  // bootstrap after the create answered, so keep the closed URL until the server is recorded.
  id = await withPublicUrl(h, CLOSED_PORT_URL, async () => {
    const created = ((await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'audited' }, headers: { 'user-agent': 'audit-test/1' } })).json()) as { id: string }).id;
    await h.waitFor(created, (r) => r.serverId !== null);
    return created;
  });
  await h.api(`/v1/providers/hetzner/credentials`, { method: 'PUT', json: { token: SECRET } });
  await h.api(`/v1/instances/${id}/status`);
  await h.api('/v1/instances');
  await fetch(`${h.url}/v1/instances/${id}`, { method: 'DELETE', headers: { authorization: 'Bearer hgr_not-a-key-000000000000' } });
});
afterAll(async () => {
  await h?.close();
});

describe('GET /v1/audit', () => {
  it('holds one row per mutating call and sensitive read, with who, what, which object, from where and the outcome', async () => {
    const rows = await until('?limit=1000', (r) => r.some((x) => x.outcome === '401'));
    const created = rows.find((r) => r.action === 'POST /v1/instances')!;
    expect(created).toMatchObject({ actor: 'api:admin', actorKind: 'api', objectType: 'instance', objectId: id, outcome: '201', ip: '127.0.0.1', userAgent: 'audit-test/1' });
    expect(rows.find((r) => r.action === 'PUT /v1/providers/:provider/credentials')).toMatchObject({ objectType: 'provider', objectId: 'hetzner' });
    expect(rows.find((r) => r.action === 'GET /v1/instances/:id/status')).toMatchObject({ objectId: id, outcome: '200' });
    expect(rows.find((r) => r.outcome === '401')).toMatchObject({ actor: 'anonymous', actorKind: 'anonymous', action: 'DELETE /v1/instances/:id', objectId: id });
    expect(rows.some((r) => r.action === 'GET /v1/instances')).toBe(false); // a plain read
  });

  it('never holds a secret value', async () => {
    const rows = await until('?limit=1000', (r) => r.some((x) => x.action === 'PUT /v1/providers/:provider/credentials'));
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(rows.find((r) => r.action === 'PUT /v1/providers/:provider/credentials')!.data).toEqual({ body: { token: '[REDACTED]' } });
    const res = await h.api('/v1/audit?format=jsonl');
    expect(await res.text()).not.toContain(SECRET);
  });

  it('filters by actor, action, object and time, pages by cursor, and reading it is audited too', async () => {
    await until('?limit=1000', (r) => r.some((x) => x.outcome === '401'));
    expect((await audit(`?object=instance:${id}&action=${encodeURIComponent('POST /v1/instances*')}`)).items.map((r) => r.action)).toEqual(['POST /v1/instances']);
    expect((await audit('?actor=anonymous')).items.map((r) => r.outcome)).toEqual(['401']);
    expect((await audit(`?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).items).toEqual([]);
    // Reading the log adds to it: page through what was there before now.
    const upTo = `&until=${encodeURIComponent(new Date().toISOString())}`;
    const all = (await audit(`?limit=1000&actor=api:admin${upTo}`)).items;
    const first = await audit(`?limit=2&actor=api:admin${upTo}`);
    const second = await audit(`?limit=2&actor=api:admin${upTo}&cursor=${first.nextCursor}`);
    expect([...first.items, ...second.items].map((r) => r.id)).toEqual(all.slice(0, 4).map((r) => r.id));
    const follow = await audit(`?after=${all[2].id}&actor=api:admin${upTo}`);
    expect(follow.items.map((r) => r.id)).toEqual(all.slice(0, 2).map((r) => r.id).reverse());
    await until('?action=GET%20/v1/audit&limit=1', (r) => r.length === 1);
  });

  it('exports JSON lines, streamed, newest first', async () => {
    const res = await h.api('/v1/audit?format=jsonl&actor=api:admin');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Row);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((l) => l.actor === 'api:admin')).toBe(true);
    expect(Number(lines[0].id)).toBeGreaterThan(Number(lines[lines.length - 1].id));
  });

  it('refuses a bad query naming the field, and callers without a key', async () => {
    for (const [q, field] of [['?limit=0', 'limit'], ['?since=yesterday', 'since'], ['?cursor=abc', 'cursor'], ['?format=xml', 'format']]) {
      const res = await h.api(`/v1/audit${q}`);
      expect(res.status, q).toBe(400);
      expect((await res.json()).errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await fetch(`${h.url}/v1/audit`)).status).toBe(401);
  });
});
