import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayProblem } from '../../src/domain/lifecycle.ts';
import { processesMatching } from '../helpers/procs.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('lifecycle');
});
afterAll(async () => {
  await h?.close();
});

/** Replays an instance's transition events through the pure state machine. */
export function assertLegalPath(events: { kind: string; from: string | null; to: string | null; step: string | null }[]): void {
  expect(replayProblem(events.filter((e) => e.kind === 'transition'))).toBeNull();
}

describe('walking skeleton on the local provider', () => {
  it('provisions a real agent to running, then destroys it to stopped with the agent process gone', async () => {
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'Skeleton Test' } });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created.status).toBe('pending');
    expect(created.serverName).toBe(`hangar-skeleton-test-${created.id.slice(0, 8)}`);
    expect(created.labels).toEqual({ 'hangar.dev/installation': h.installationId, 'hangar.dev/instance': created.id, 'hangar.dev/project': 'default' });
    expect(JSON.stringify(created)).not.toMatch(/hgb_|hga_|tokenHash|KeyHash/);

    const running = await h.waitFor(created.id, (r) => r.status === 'running');
    expect(running.connection).toBe('connected');
    expect(running.workloadHealthy).toBe(true);
    expect(running.serverId).toMatch(/^local-/);

    // The server's disk: agent.env with seed 000's names, secrets 0600, the one-time token spent.
    const dir = join(h.dataDir, 'local-servers', running.serverId!);
    const env = readFileSync(join(dir, 'agent.env'), 'utf8');
    expect(env).toContain(`AGENT_ID=${running.agentId}`);
    expect(env).toContain(`SERVER_NAME=${running.serverName}`);
    expect(env).toContain(`API_URL=${h.url}`);
    expect(env).toContain('NODE_ENV=production');
    expect(env).toMatch(/^SERVER_ID=/m);
    for (const f of ['agent.env', 'state.json', 'bootstrap.json']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'bootstrap.json'), 'utf8')).token).toBe('');
    expect(processesMatching('--run', '--state-dir', dir)).toHaveLength(1); // the agent, under its supervisor
    expect(processesMatching('--state-dir', dir)).toHaveLength(2);

    const del = await h.api(`/v1/instances/${created.id}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    expect((await del.json()).status).toBe('stopping');
    const stopped = await h.waitFor(created.id, (r) => r.status === 'stopped');
    expect(stopped.agentKeyHash).toBeNull();
    await expect.poll(() => processesMatching('--state-dir', dir).length, { timeout: 10_000 }).toBe(0);
    expect(existsSync(dir)).toBe(false);

    const events = (await (await h.api(`/v1/instances/${created.id}/events`)).json()).items;
    assertLegalPath(events);
    const steps = events.filter((e: { kind: string; step: string }) => e.kind === 'transition' && e.step).map((e: { step: string }) => e.step);
    expect(steps).toEqual(['create_server', 'boot', 'enroll', 'network', 'configure', 'workload']);
    // Teardown asked the agent through the engine's AgentChannel (the hub) before deleting the server.
    expect(events.map((e: { reason: string }) => e.reason)).toContain('agent stopped its workload');
    expect(events.some((e: { kind: string; reason: string }) => e.kind === 'log' && e.reason.includes('enrolled as agent'))).toBe(true);
    expect(events.some((e: { reason: string }) => e.reason === 'network step skipped: tailscale not requested for this instance')).toBe(true);
    for (const e of events) expect(JSON.stringify(e)).not.toMatch(/hgb_|hga_[A-Za-z0-9]/);
  });

  it('replays a stored response for the same Idempotency-Key and body, and refuses a different body with 422', async () => {
    const body = { provider: 'local', name: 'idem' };
    const a = await h.api('/v1/instances', { method: 'POST', json: body, headers: { 'idempotency-key': 'k-1' } });
    const b = await h.api('/v1/instances', { method: 'POST', json: body, headers: { 'idempotency-key': 'k-1' } });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const [ja, jb] = [await a.json(), await b.json()];
    expect(jb.id).toBe(ja.id);
    const c = await h.api('/v1/instances', { method: 'POST', json: { ...body, name: 'other' }, headers: { 'idempotency-key': 'k-1' } });
    expect(c.status).toBe(422);
    expect((await c.json()).errors[0].field).toBe('Idempotency-Key');
    const list = (await (await h.api('/v1/instances?limit=200')).json()).items.filter((i: { name: string }) => i.name === 'idem');
    expect(list).toHaveLength(1);
    await h.api(`/v1/instances/${ja.id}`, { method: 'DELETE' });
    await h.waitFor(ja.id, (r) => r.status === 'stopped');
  });

  it('answers bad input with 4xx problem details naming the field, never a 5xx', async () => {
    const cases: [RequestInit & { json?: unknown }, string, number, string | null][] = [
      [{ method: 'POST', json: { provider: 'aws' } }, '/v1/instances', 400, 'provider'],
      [{ method: 'POST', json: { provider: 'local', connectTimeoutSeconds: 1 } }, '/v1/instances', 400, 'connectTimeoutSeconds'],
      [{ method: 'POST', json: { provider: 'local', name: '' } }, '/v1/instances', 400, 'name'],
      [{ method: 'POST', json: { provider: 'local', surprise: true } }, '/v1/instances', 400, 'body'],
      [{ method: 'POST', json: { provider: 'local', tailscaleTags: ['nope'] } }, '/v1/instances', 400, 'tailscaleTags.0'],
      [{ method: 'POST', json: { provider: 'local', tailscaleTags: ['tag:1abc'] } }, '/v1/instances', 400, 'tailscaleTags.0'],
      [{ method: 'POST', json: { provider: 'hetzner' } }, '/v1/instances', 400, 'provider'],
      [{ method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } }, '/v1/instances', 400, 'body'],
      // Workload settings are checked at creation (and in dry runs), not at enrollment.
      [{ method: 'POST', json: { provider: 'local', workload: 'openclaw' } }, '/v1/instances', 400, 'workload'],
      [{ method: 'POST', json: { provider: 'local', workload: 'openclaw' } }, '/v1/instances?dryRun=true', 400, 'workload'],
      [{ method: 'POST', json: { provider: 'local', config: { port: 'eighty' } } }, '/v1/instances', 400, 'config.port'],
      [{ method: 'GET' }, '/v1/instances?limit=0', 400, 'limit'],
      [{ method: 'GET' }, '/v1/instances?status=bogus', 400, 'status'],
      [{ method: 'GET' }, '/v1/instances?cursor=zzz', 400, 'cursor'],
      [{ method: 'GET' }, '/v1/instances/not-a-uuid', 404, null],
      [{ method: 'GET' }, '/v1/instances/00000000-0000-4000-8000-000000000000', 404, null],
      [{ method: 'DELETE' }, '/v1/instances/00000000-0000-4000-8000-000000000000', 404, null],
      [{ method: 'GET' }, '/v1/providers/nope/server-types', 404, null],
      [{ method: 'GET' }, '/v1/nothing-here', 404, null],
    ];
    for (const [init, path, status, field] of cases) {
      const res = await h.api(path, init);
      expect(res.status, `${init.method} ${path}`).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const p = await res.json();
      expect(p.status).toBe(status);
      expect(p.detail).toBeTruthy();
      expect(JSON.stringify(p)).not.toMatch(/at .*\.ts:\d+/);
      if (field) expect(p.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const unauth = await fetch(`${h.url}/v1/instances`);
    expect(unauth.status).toBe(401);
    expect((await unauth.json()).detail).toMatch(/Authorization: Bearer/);
    const wrong = await fetch(`${h.url}/v1/instances`, { headers: { authorization: 'Bearer hgr_wrongwrongwrongwrongwrongwrong' } });
    expect(wrong.status).toBe(401);
  });

  it('serves providers, catalogue, OpenAPI, health and Prometheus metrics', async () => {
    expect((await (await h.api('/v1/providers')).json()).items.map((p: { name: string }) => p.name)).toContain('local');
    const types = (await (await h.api('/v1/providers/local/server-types')).json()).items;
    expect(types[0]).toMatchObject({ name: 'process', prices: [{ location: 'local', monthly: 0 }] });
    expect((await (await h.api('/v1/providers/local/locations')).json()).items[0].name).toBe('local');
    const doc = await (await fetch(`${h.url}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/instances', '/v1/instances/{id}', '/v1/instances/{id}/events', '/v1/providers/{provider}/server-types']));
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const metrics = await (await h.api(`/metrics`)).text();
    expect(metrics).toMatch(/hangar_instances\{status="stopped",connection="disconnected"\} \d+/);
    expect(metrics).toContain('hangar_http_requests_total');
  });

  it('dry run returns the plan and user-data with the token redacted, and creates nothing', async () => {
    const before = (await (await h.api('/v1/instances?limit=200')).json()).items.length;
    const res = await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: 'local', name: 'dry', config: {} } });
    expect(res.status).toBe(200);
    const plan = await res.json();
    expect(plan.dryRun).toBe(true);
    expect(plan.userData).toContain('#cloud-config');
    expect(plan.userData).toContain('[REDACTED]');
    expect(plan.userData).not.toMatch(/hgb_/);
    expect(plan.secrets).toEqual([]);
    // The process workload has no secret settings: an unknown one is refused by name, its value not echoed
    // (secrets in dry runs of the workloads that have them: test/integration/secrets.test.ts).
    const refused = await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: 'local', name: 'dry', config: { gitToken: 'ghp_should_not_show' } } });
    expect(refused.status).toBe(400);
    const problem = await refused.text();
    expect(problem).toContain('config.gitToken');
    expect(problem).not.toContain('ghp_should_not_show');
    expect((await (await h.api('/v1/instances?limit=200')).json()).items.length).toBe(before);
  });

  it('paginates with a keyset cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: `page-${i}` } })).json()).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await (await h.api(`/v1/instances?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
    for (const id of ids) await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
    for (const id of ids) await h.waitFor(id, (r) => r.status === 'stopped');
  });
});
