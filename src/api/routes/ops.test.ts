import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';
import { CLOSED_PORT_URL, withPublicUrl } from '../../../test/helpers/hub-agent.ts';

let h: TestHangar;
let id: string;
beforeAll(async () => {
  h = await startTestHangar('routes-ops');
  // An instance whose agent never dials in: operations see it not connected.
  // (The bootstrap is rendered by the provision step after the create answers: keep the closed
  // URL until the server is recorded.)
  id = await withPublicUrl(h, CLOSED_PORT_URL, async () => {
    const created = ((await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'ops' } })).json()) as { id: string }).id;
    await h.waitFor(created, (r) => r.serverId !== null);
    return created;
  });
});
afterAll(async () => {
  await h?.close();
});

describe('ops routes', () => {
  it('status answers from the control plane when the agent is not connected; commands are a 409', async () => {
    const status = (await (await h.api(`/v1/instances/${id}/status`)).json()) as { agent: unknown; agentError: string };
    expect(status.agent).toBeNull();
    expect(status.agentError).toMatch(/not connected/);
    expect((await h.api(`/v1/instances/${id}/doctor`, { method: 'POST' })).status).toBe(409);
    expect((await h.api(`/v1/instances/${id}/logs?unit=nope`)).status).toBe(400);
  });

  it('exec on an instance without exec is a 403, audited with its secrets masked', async () => {
    const res = await h.api(`/v1/instances/${id}/exec`, { method: 'POST', json: { argv: ['mysql', '-uroot', '-phunter22', 'https://bob:s3cret@db.example'] } });
    expect(res.status).toBe(403);
    const events = ((await (await h.api(`/v1/instances/${id}/events`)).json()) as { items: { reason: string | null; data: unknown }[] }).items;
    const refused = events.find((e) => e.reason?.includes('exec refused'));
    expect(refused).toBeDefined();
    expect(JSON.stringify(refused)).not.toMatch(/hunter22|s3cret/);
  });
});
