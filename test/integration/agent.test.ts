import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { CLOSED_PORT_URL, withPublicUrl } from '../helpers/hub-agent.ts';
import { processesMatching } from '../helpers/procs.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('agent');
});
afterAll(async () => {
  await h?.close();
});

async function create(name: string, extra: Record<string, unknown> = {}) {
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name, ...extra } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

/** Read SSE frames from a fetch stream until `n` frames arrived. */
async function readFrames(res: Response, n: number, timeoutMs = 15_000): Promise<{ id: number; data: { kind: string; reason: string; to: string | null } }[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const frames: { id: number; data: { kind: string; reason: string; to: string | null } }[] = [];
  const deadline = Date.now() + timeoutMs;
  while (frames.length < n && Date.now() < deadline) {
    const { value, done } = await Promise.race([reader.read(), new Promise<{ value: undefined; done: true }>((r) => setTimeout(() => r({ value: undefined, done: true }), deadline - Date.now()))]);
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const id = /^id: (\d+)$/m.exec(block);
      const data = /^data: (.*)$/m.exec(block);
      if (id && data) frames.push({ id: Number(id[1]), data: JSON.parse(data[1]) });
    }
  }
  await reader.cancel().catch(() => {});
  return frames.slice(0, n); // one chunk may carry more frames than asked for

}

describe('enrollment', () => {
  it('a bootstrap token works once; a reused or unknown token is refused with 401', async () => {
    const { id } = await create('once');
    const row = await h.waitFor(id, (r) => r.status === 'running');
    const dir = join(h.dataDir, 'local-servers', row.serverId!);
    // The agent blanked its token on disk; the server recorded the spend.
    expect(JSON.parse(readFileSync(join(dir, 'bootstrap.json'), 'utf8')).token).toBe('');
    expect(row.bootstrapTokenUsedAt).not.toBeNull();
    expect(row.bootstrapTokenSealed).toBeNull();
    const res = await fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'hgb_' + 'x'.repeat(43) }) });
    expect(res.status).toBe(401);
    expect((await res.json()).detail).toBe('unknown bootstrap token');
    await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
    await h.waitFor(id, (r) => r.status === 'stopped');
  });

  it('the same agent (its proof) may enroll again when its response was lost; nobody else may', async () => {
    // The real agent never reaches us: we play it.
    const row = await withPublicUrl(h, CLOSED_PORT_URL, async () => {
      const { id } = await create('lost response', { connectTimeoutSeconds: 60 });
      return h.waitFor(id, (r) => r.serverId !== null && r.bootstrapTokenSealed !== null);
    });
    const { open } = await import('../../src/domain/tokens.ts');
    const token = open(row.bootstrapTokenSealed!, h.engine.secretKey);
    const { newEnrollSecret, proofHashOf } = await import('../../src/domain/enroll-proof.ts');
    const enroll = (fields: { proof?: string; proofHash?: string }) => fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, ...fields }) });
    const [s1, s2] = [newEnrollSecret(), newEnrollSecret()];
    const first = await enroll({ proofHash: proofHashOf(s1) });
    expect(first.status).toBe(200);
    const a = await first.json();
    const again = await enroll({ proof: s1, proofHash: proofHashOf(s2) });
    expect(again.status).toBe(200);
    const b = await again.json();
    expect(b.agentId).toBe(a.agentId);
    expect(b.agentKey).not.toBe(a.agentKey);
    expect((await enroll({ proof: newEnrollSecret() })).status).toBe(401);
    expect((await enroll({ proofHash: proofHashOf(s1) })).status).toBe(401);
    expect((await enroll({})).status).toBe(401);
    const reasons = (await h.engine.store.events(row.id)).map((e) => e.reason);
    expect(reasons.some((r) => r?.includes('enrolled again'))).toBe(true);
    await h.api(`/v1/instances/${row.id}`, { method: 'DELETE' });
    await h.waitFor(row.id, (r) => r.status === 'stopped');
  });

  it('an expired token is refused', async () => {
    const { id } = await create('expired', { connectTimeoutSeconds: 30 });
    await h.waitFor(id, (r) => r.status === 'running');
    // Forge the situation directly: a fresh token row that is already past its expiry.
    const { hashToken, newToken } = await import('../../src/domain/tokens.ts');
    const token = newToken('hgb');
    const { id: other } = await create('expired-2');
    await h.waitFor(other, (r) => r.status === 'running');
    await h.engine.store.update(other, { bootstrapTokenHash: hashToken(token), bootstrapTokenUsedAt: null, bootstrapTokenExpiresAt: new Date(Date.now() - 1000) });
    const res = await fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(res.status).toBe(401);
    expect((await res.json()).detail).toBe('bootstrap token expired');
    for (const x of [id, other]) await h.api(`/v1/instances/${x}`, { method: 'DELETE' });
    for (const x of [id, other]) await h.waitFor(x, (r) => r.status === 'stopped');
  });

  it('the hub refuses an agent with a wrong key', async () => {
    const { default: WebSocket } = await import('ws');
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/v1/agents/connect`, { headers: { authorization: `Bearer 00000000-0000-4000-8000-000000000000:hga_${'y'.repeat(43)}` } });
      ws.on('unexpected-response', (_q, r) => resolve(r.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
  });
});

describe('connection', () => {
  it('a frozen agent shows disconnected within two heartbeat intervals and recovers by itself', async () => {
    const { id } = await create('freeze');
    const row = await h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected');
    const [agent] = processesMatching('--run', '--state-dir', join(h.dataDir, 'local-servers', row.serverId!));
    process.kill(agent.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await h.waitFor(id, (r) => r.connection === 'disconnected', 10_000);
      // heartbeat 1 s: two intervals plus one sweep period
      expect(Date.now() - stoppedAt).toBeLessThan(4_500);
    } finally {
      process.kill(agent.pid, 'SIGCONT');
    }
    await h.waitFor(id, (r) => r.connection === 'connected', 15_000);
    const events = (await (await h.api(`/v1/instances/${id}/events`)).json()).items as { kind: string; to: string }[];
    expect(events.filter((e) => e.kind === 'connection').map((e) => e.to)).toEqual(['connected', 'disconnected', 'connected']);
    expect((await h.engine.store.get(id)).status).toBe('running');
    await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
    await h.waitFor(id, (r) => r.status === 'stopped');
  });

  it('an agent that never dials home fails at the connect timeout and its server is deleted', async () => {
    // The agent is started for real but pointed at an address where no Hangar listens.
    const { id } = await withPublicUrl(h, CLOSED_PORT_URL, async () => {
      const created = await create('never', { connectTimeoutSeconds: 10 });
      await h.waitFor(created.id, (r) => r.serverId !== null);
      return created;
    });
    const row = await h.waitFor(id, (r) => r.status === 'stopped', 40_000);
    expect(row.connection).toBe('timeout');
    expect(row.failureReason).toBe('agent did not dial home within 10s (stuck at boot)');
    const events = (await (await h.api(`/v1/instances/${id}/events`)).json()).items as { kind: string; to: string; reason: string; actor: string }[];
    expect(events.filter((e) => e.kind === 'transition').map((e) => e.to)).toEqual(['pending', 'provisioning', 'provisioning', 'failed', 'stopping', 'stopped']);
    expect(events.find((e) => e.to === 'failed')!.actor).toBe('timeout');
    expect(processesMatching('--state-dir', join(h.dataDir, 'local-servers', row.serverId!))).toHaveLength(0);
  }, 60_000);
});

describe('events over SSE', () => {
  it('replays then follows, and Last-Event-ID resumes without gaps or repeats', async () => {
    const { id } = await create('sse');
    const res = await h.api(`/v1/instances/${id}/events`, { headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const first = await readFrames(res, 8);
    expect(first.length).toBe(8);
    await h.waitFor(id, (r) => r.status === 'running');
    const all = (await (await h.api(`/v1/instances/${id}/events?limit=1000`)).json()).items as { id: number }[];
    expect(first.map((f) => f.id)).toEqual(all.slice(0, 8).map((e) => e.id));
    const resumed = await readFrames(await h.api(`/v1/instances/${id}/events`, { headers: { accept: 'text/event-stream', 'last-event-id': String(first[7].id) } }), all.length - 8);
    expect(resumed.map((f) => f.id)).toEqual(all.slice(8).map((e) => e.id));
    // Follow: a destroy shows up live on an open stream.
    const live = h.api(`/v1/instances/${id}/events`, { headers: { accept: 'text/event-stream', 'last-event-id': String(all[all.length - 1].id) } });
    await h.api(`/v1/instances/${id}/events`); // keep ordering simple
    await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
    const followed = await readFrames(await live, 1);
    expect(followed[0].data.to).toBe('stopping');
    await h.waitFor(id, (r) => r.status === 'stopped');
  });
});
