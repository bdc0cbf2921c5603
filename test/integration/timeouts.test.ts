import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { CLOSED_PORT_URL, withPublicUrl } from '../helpers/hub-agent.ts';

let h: TestHangar;
beforeAll(async () => {
  // Short per-state bounds; the connect timeout (default 600 s) is not what ends these.
  h = await startTestHangar('timeouts', { reconcileSeconds: 0, stateTimeouts: { creating: 60, booting: 3, enrolling: 60, configuring: 4 } });
});
afterAll(async () => {
  await h?.close();
});

describe('per-state timeouts', () => {
  it('an agent that never dials home fails when booting outlasts its bound; onFailure=destroy deletes the server', async () => {
    const id = await withPublicUrl(h, CLOSED_PORT_URL, async () => {
      const created: string = (await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'local' } })).json()).id;
      await h.waitFor(created, (r) => r.serverId !== null);
      return created;
    });
    const row = await h.waitFor(id, (r) => r.status === 'stopped', 30_000);
    expect(row.failureReason).toBe('stuck booting (at boot) for more than 3s');
    expect(row.connection).toBe('timeout');
    expect(await h.engine.provider('local').getServer(row.serverId!)).toBeNull();
  });

  it('a workload that never becomes healthy fails when configuring outlasts its bound; onFailure=keep keeps the server', async () => {
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', onFailure: 'keep', config: { command: 'sleep', args: ['600'] } } });
    const { id } = await res.json();
    const row = await h.waitFor(id, (r) => r.status === 'failed', 30_000);
    expect(row.failureReason).toMatch(/^stuck configuring \(at (configure|workload)\) for more than 4s$/);
    expect(row.connection).toBe('connected');
    expect(await h.engine.provider('local').getServer(row.serverId!)).not.toBeNull();
    await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
    await h.waitFor(id, (r) => r.status === 'stopped', 30_000);
  });
});
