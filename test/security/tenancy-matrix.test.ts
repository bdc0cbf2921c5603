/**
 * Tenancy: two projects, a key of every role in each and an installation admin, driven through
 * every route of the declared route table. The MATRIX below states, independently of the routes'
 * own declarations, what each route needs; a route without an entry (or an entry without a route)
 * fails the test. Allowed calls get past the access check (never 401/403, never another project's
 * 404), another project's instance is a 404, a role too small is a 403.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access, DeclaredRoute } from '../../src/api/access.ts';
import { roleAllows, type Grant, type Role } from '../../src/domain/roles.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { CLOSED_PORT_URL, withPublicUrl } from '../helpers/hub-agent.ts';

/** What each route needs (GET's entry covers its HEAD). */
const MATRIX: Record<string, Access> = {
  'GET /livez': 'public', 'GET /healthz': 'public', 'GET /readyz': 'public', 'GET /openapi.json': 'public', 'GET /metrics': 'metrics',
  'POST /v1/reconcile': 'admin',
  'POST /v1/instances': 'operator', 'GET /v1/instances': 'viewer', 'GET /v1/instances/:id': 'viewer', 'DELETE /v1/instances/:id': 'operator',
  'GET /v1/instances/:id/events': 'viewer', 'GET /v1/events': 'viewer',
  'GET /v1/instances/:id/status': 'viewer', 'GET /v1/instances/:id/logs': 'viewer',
  'POST /v1/instances/:id/doctor': 'operator', 'POST /v1/instances/:id/smoke': 'operator', 'POST /v1/instances/:id/restart': 'operator',
  'POST /v1/instances/:id/exec': 'operator', 'POST /v1/instances/:id/agent-update': 'operator',
  'GET /v1/ssh-hosts': 'admin', 'POST /v1/ssh-hosts': 'admin', 'GET /v1/ssh-hosts/:ref': 'admin', 'POST /v1/ssh-hosts/:ref/probe': 'admin', 'DELETE /v1/ssh-hosts/:ref': 'admin',
  'POST /v1/snapshots': 'admin', 'GET /v1/snapshots': 'admin', 'POST /v1/snapshots/prune': 'admin', 'DELETE /v1/snapshots/:provider/:id': 'admin',
  'GET /v1/snapshot-builds': 'admin', 'GET /v1/snapshot-builds/:id': 'admin', 'POST /v1/snapshot-builds/:id/ready': 'builder',
  'GET /v1/providers': 'viewer', 'PUT /v1/providers/:provider/credentials': 'admin', 'DELETE /v1/providers/:provider/credentials': 'admin',
  'GET /v1/providers/:provider/server-types': 'viewer', 'GET /v1/providers/:provider/locations': 'viewer',
  'POST /v1/agents/enroll': 'public', 'GET /v1/agent/bundle': 'public', 'GET /v1/agents/update': 'agent', 'GET /v1/agents/releases/:version/bundle': 'agent',
  'GET /v1/agent-releases': 'viewer', 'POST /v1/agent-releases': 'releaser', 'GET /v1/agent-releases/:version': 'viewer',
  'POST /v1/agent-releases/:version/approve': 'releaser', 'POST /v1/agent-releases/:version/revoke': 'releaser',
  'POST /v1/projects': 'admin', 'GET /v1/projects': 'viewer', 'DELETE /v1/projects/:name': 'admin',
  'POST /v1/keys': 'owner', 'GET /v1/keys': 'owner', 'DELETE /v1/keys/:id': 'owner',
  'POST /v1/instances/:id/stop': 'operator', 'POST /v1/instances/:id/start': 'operator', 'POST /v1/instances/:id/extend': 'operator',
  'GET /v1/audit': 'owner', 'GET /v1/inventory': 'viewer',
  'GET /v1/pools': 'viewer', 'PUT /v1/pools/:name': 'owner', 'DELETE /v1/pools/:name': 'owner',
  'GET /v1/agents/workload': 'agent', 'GET /v1/api-budget': 'admin',
  'GET /v1/budget': 'viewer', 'PUT /v1/budget': 'admin', 'PUT /v1/projects/:project/budget': 'owner', 'GET /v1/costs': 'viewer',
  'POST /v1/webhooks': 'owner', 'GET /v1/webhooks': 'owner', 'GET /v1/webhooks/:id': 'owner', 'DELETE /v1/webhooks/:id': 'owner',
  'POST /v1/webhooks/:id/test': 'owner', 'GET /v1/webhooks/:id/deliveries': 'owner', 'POST /v1/webhooks/:id/deliveries/:deliveryId/redeliver': 'owner',
  'POST /v1/instances/:id/tickets': 'operator', 'GET /v1/instances/:id/ssh': 'operator', 'GET /v1/instances/:id/port-forward': 'operator',
  'GET /v1/instances/:id/proxy': 'operator', 'GET /v1/instances/:id/proxy/*': 'operator', 'POST /v1/instances/:id/proxy/*': 'operator',
  'PUT /v1/instances/:id/proxy/*': 'operator', 'PATCH /v1/instances/:id/proxy/*': 'operator', 'DELETE /v1/instances/:id/proxy/*': 'operator',
};

/**
 * What "got past the access check" looks like on an empty call: a 2xx, a redirect (the proxy's
 * trailing slash), 400 (a body or query the route validates), 404 of an object that is not the
 * caller's instance (no such pool, webhook, release…), 409 (a state the call does not fit) and
 * 426 (a WebSocket route answering plain HTTP).
 */
const PAST_ACCESS = (status: number) => (status >= 200 && status < 400) || [400, 404, 409, 426].includes(status);

const PROJECTS = ['alpha', 'beta'] as const;
const ROLES: Role[] = ['viewer', 'releaser', 'operator', 'owner'];
type Caller = { label: string; project: string; grant: Grant; key: string; header?: string };

let h: TestHangar;
const callers: Caller[] = [];
const instanceOf: Record<string, string> = {};

async function api(key: string, method: string, path: string, opts: { project?: string; json?: unknown } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (opts.project) headers['x-hangar-project'] = opts.project;
  const hasBody = !['GET', 'HEAD', 'DELETE'].includes(method);
  if (hasBody) headers['content-type'] = 'application/json';
  const res = await fetch(`${h.url}${path}`, { method, headers, body: hasBody ? JSON.stringify(opts.json ?? {}) : undefined, redirect: 'manual', signal: AbortSignal.timeout(30_000) }).catch((err: Error) => {
    throw new Error(`${method} ${path}: ${err.message} (${String((err.cause as Error | undefined)?.message)})`, { cause: err });
  });
  let text = method === 'HEAD' ? '' : await res.text();
  // A HEAD answer has no body: a 404's reason is read from the same call as GET.
  if (method === 'HEAD' && res.status === 404) {
    const get = await api(key, 'GET', path, opts);
    if (get.status === 404) text = get.text;
  }
  return { status: res.status, text };
}

beforeAll(async () => {
  h = await startTestHangar('tenancy');
  for (const p of PROJECTS) expect((await api(h.apiKey, 'POST', '/v1/projects', { json: { name: p } })).status).toBe(201);
  for (const p of PROJECTS) {
    for (const role of ROLES) {
      const r = await api(h.apiKey, 'POST', '/v1/keys', { project: p, json: { name: `${p}-${role}`, role } });
      expect(r.status, r.text).toBe(201);
      callers.push({ label: `${p}/${role}`, project: p, grant: role, key: (JSON.parse(r.text) as { key: string }).key });
    }
  }
  callers.push({ label: 'admin@alpha', project: 'alpha', grant: 'admin', key: h.apiKey, header: 'alpha' });
  // One instance per project (its agent never reaches us), created by an operator of that project.
  await withPublicUrl(h, CLOSED_PORT_URL, async () => {
    for (const p of PROJECTS) {
      const op = callers.find((c) => c.project === p && c.grant === 'operator')!;
      const r = await api(op.key, 'POST', '/v1/instances', { json: { provider: 'local', name: `${p}-box`, connectTimeoutSeconds: 600 } });
      expect(r.status, r.text).toBe(201);
      instanceOf[p] = (JSON.parse(r.text) as { id: string }).id;
    }
    for (const p of PROJECTS) await h.waitFor(instanceOf[p], (row) => row.serverId !== null);
  });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const entryOf = (r: DeclaredRoute) => MATRIX[`${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`];
const fill = (url: string, instance: string, project: string) =>
  url
    .replace(':id', url.startsWith('/v1/instances/') ? instance : randomUUID())
    .replace(':deliveryId', randomUUID())
    .replace(':project', project)
    .replace(':version', '99.0.0')
    .replace(':provider', 'nope')
    .replace(':ref', 'no-such-host')
    .replace(':name', 'no-such-project')
    .replace('*', 'x');
/** Whether an answer is the 404 of instance `id` (a HEAD's reason is its GET's, see `api`). */
const instanceNotFound = (got: { status: number; text: string }, id: string) => got.status === 404 && got.text.includes(`instance ${id} not found`);
/** Whether an answer is the 404 of project `name` in a path. */
const projectNotFound = (got: { status: number; text: string }, name: string) => got.status === 404 && got.text.includes(`project ${name} not found`);

describe('tenancy matrix', () => {
  it('has an entry for every declared route, and a route for every entry, declaring what the entry says', () => {
    const routes = h.routes.filter((r) => r.method !== 'OPTIONS' && r.url !== '/*');
    const missing = routes.filter((r) => !entryOf(r)).map((r) => `${r.method} ${r.url}`);
    expect(missing, 'routes without a matrix entry').toEqual([]);
    const declared = new Set(routes.map((r) => `${r.method} ${r.url}`));
    expect(Object.keys(MATRIX).filter((k) => !declared.has(k)), 'matrix entries without a route').toEqual([]);
    for (const r of routes) expect(r.access, `${r.method} ${r.url}`).toBe(entryOf(r));
  });

  it('admits each key by role, in its own project only, on every route', async () => {
    const wrong: string[] = [];
    let calls = 0;
    const routes = h.routes.filter((r) => r.method !== 'OPTIONS' && r.url !== '/*');
    // Destructive routes last, so the calls before them see live objects.
    routes.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const r of routes) {
      const need = entryOf(r);
      for (const c of callers) {
        const other = PROJECTS.find((p) => p !== c.project)!;
        const scoped = r.url.startsWith('/v1/instances/:id');
        // A project named in the path: an installation admin may name any, everyone else only their own.
        const inPath = r.url.includes(':project') && c.grant !== 'admin';
        const own = await api(c.key, r.method, fill(r.url, instanceOf[c.project], c.project), { project: c.header });
        calls++;
        const say = (what: string, got: { status: number; text: string }) => wrong.push(`${r.method} ${r.url} as ${c.label} (${what}): ${got.status} ${got.text.slice(0, 160)}`);
        if (own.status >= 500) say('5xx', own);
        if (need === 'public') {
          if ([401, 403].includes(own.status)) say('public must admit', own);
          continue;
        }
        if (need === 'agent' || need === 'builder') {
          if (own.status !== 401) say(`${need} only`, own);
          continue;
        }
        const allowed = roleAllows(c.grant, need === 'metrics' ? 'admin' : need);
        if (!allowed) {
          if (own.status !== 403) say(`needs ${need}: 403`, own);
        } else if (!PAST_ACCESS(own.status) || (scoped && instanceNotFound(own, instanceOf[c.project])) || projectNotFound(own, c.project)) say('allowed', own);
        if (!scoped && !inPath) continue;
        const theirs = await api(c.key, r.method, fill(r.url, instanceOf[other], other), { project: c.header });
        calls++;
        const hidden = scoped ? instanceNotFound(theirs, instanceOf[other]) : projectNotFound(theirs, other);
        if (allowed ? !hidden : theirs.status !== 403) say(`another project's ${scoped ? 'instance' : 'name'}: ${allowed ? 404 : 403}`, theirs);
      }
    }
    expect(wrong).toEqual([]);
    expect(calls).toBeGreaterThan(400);
  }, 240_000);
});

describe('project resolution and isolation', () => {
  const key = (p: string, g: Grant) => callers.find((c) => c.project === p && c.grant === g)!.key;

  it('lists only the own project’s instances, events, keys and projects', async () => {
    const list = async (k: string, path: string, project?: string) => JSON.parse((await api(k, 'GET', path, { project })).text) as { items: Record<string, unknown>[] };
    expect((await list(key('alpha', 'viewer'), '/v1/instances')).items.map((i) => i.id)).toEqual([instanceOf.alpha]);
    expect((await list(h.apiKey, '/v1/instances', 'beta')).items.map((i) => i.id)).toEqual([instanceOf.beta]);
    expect((await list(h.apiKey, '/v1/instances')).items).toEqual([]);
    const events = (await list(key('beta', 'viewer'), '/v1/events')).items;
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.instanceId))).toEqual(new Set([instanceOf.beta]));
    const keys = (await list(key('alpha', 'owner'), '/v1/keys')).items;
    expect(keys.map((k) => k.project)).toEqual(keys.map(() => 'alpha'));
    expect(JSON.stringify(keys)).not.toMatch(/hgr_[A-Za-z0-9_-]{20}|hash/);
    expect((await list(key('alpha', 'viewer'), '/v1/projects')).items.map((p) => p.name)).toEqual(['alpha']);
    expect((await list(h.apiKey, '/v1/projects')).items.map((p) => p.name)).toEqual(['alpha', 'beta', 'default']);
  });

  it('hides another project’s webhooks, pools, budget and audit rows', async () => {
    const hook = await api(key('beta', 'owner'), 'POST', '/v1/webhooks', { json: { url: 'https://93.184.216.34/hook', events: ['instance.failed'] } });
    expect(hook.status, hook.text).toBe(201);
    const hookId = (JSON.parse(hook.text) as { id: string }).id;
    const pool = await api(key('beta', 'owner'), 'PUT', '/v1/pools/warm', { json: { provider: 'local', workload: 'process', ready: 0 } });
    expect(pool.status, pool.text).toBe(200);
    const alpha = key('alpha', 'owner');
    for (const [method, path] of [['GET', `/v1/webhooks/${hookId}`], ['GET', `/v1/webhooks/${hookId}/deliveries`], ['POST', `/v1/webhooks/${hookId}/test`], ['DELETE', `/v1/webhooks/${hookId}`], ['DELETE', '/v1/pools/warm']]) {
      const r = await api(alpha, method, path);
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(404);
    }
    expect(JSON.parse((await api(alpha, 'GET', '/v1/webhooks')).text).items).toEqual([]);
    expect(JSON.parse((await api(key('alpha', 'viewer'), 'GET', '/v1/pools')).text).items).toEqual([]);
    expect((await api(alpha, 'PUT', '/v1/projects/beta/budget', { json: { monthly: 1, currency: 'EUR' } })).status).toBe(404);
    const audit = JSON.parse((await api(alpha, 'GET', '/v1/audit?project=beta')).text) as { items: { project: string | null }[] };
    expect(audit.items.filter((r) => r.project !== 'alpha')).toEqual([]);
    // Still there for its own project.
    expect((await api(key('beta', 'owner'), 'GET', `/v1/webhooks/${hookId}`)).status).toBe(200);
    expect(JSON.parse((await api(key('beta', 'viewer'), 'GET', '/v1/pools')).text).items.map((p: { name: string }) => p.name)).toEqual(['warm']);
  });

  it('answers 404 naming the header for an unknown project or another project’s name', async () => {
    for (const [k, p] of [[key('alpha', 'owner'), 'beta'], [h.apiKey, 'nope'], [h.apiKey, 'Not_A_Label']] as const) {
      const r = await api(k, 'GET', '/v1/instances', { project: p });
      expect(r.status, `${p}`).toBe(404);
      expect(r.text).toContain('x-hangar-project');
    }
    expect((await api(key('alpha', 'viewer'), 'GET', '/v1/instances', { project: 'alpha' })).status).toBe(200);
  });

  it('never mints a role above the caller’s; revoked and expired keys stop at once', async () => {
    const op = await api(key('alpha', 'operator'), 'POST', '/v1/keys', { json: { name: 'x', role: 'viewer' } });
    expect(op.status).toBe(403);
    const adminByOwner = await api(key('alpha', 'owner'), 'POST', '/v1/keys', { json: { name: 'x', role: 'admin' } });
    expect(adminByOwner.status).toBe(403);
    expect(adminByOwner.text).toMatch(/cannot mint a admin key/);
    const made = await api(key('alpha', 'owner'), 'POST', '/v1/keys', { json: { name: 'ci', role: 'operator', expiresInSeconds: 3600 } });
    expect(made.status).toBe(201);
    const ci = JSON.parse(made.text) as { id: string; key: string; project: string; role: string; expiresAt: string };
    expect([ci.project, ci.role]).toEqual(['alpha', 'operator']);
    expect((await api(ci.key, 'GET', '/v1/instances')).status).toBe(200);
    const row = await h.database.executeSql('SELECT last_used_at FROM api_keys WHERE id = $1', [ci.id]);
    expect(row.rows[0].last_used_at).not.toBeNull();
    // Another project's owner cannot see or revoke it; its own can, and it stops at once.
    expect((await api(key('beta', 'owner'), 'DELETE', `/v1/keys/${ci.id}`)).status).toBe(404);
    expect((await api(key('alpha', 'owner'), 'DELETE', `/v1/keys/${ci.id}`)).status).toBe(204);
    const after = await api(ci.key, 'GET', '/v1/instances');
    expect(after.status).toBe(401);
    // Expiry: a key past its expires_at is refused, saying so.
    const soon = JSON.parse((await api(key('alpha', 'owner'), 'POST', '/v1/keys', { json: { name: 'soon', role: 'viewer', expiresInSeconds: 60 } })).text) as { id: string; key: string };
    await h.database.executeSql(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [soon.id]);
    const expired = await api(soon.key, 'GET', '/v1/instances');
    expect(expired.status).toBe(401);
    expect(expired.text).toMatch(/expired/);
  });

  it('refuses to remove a project with live instances, naming the count; removal revokes its keys', async () => {
    const r = await api(h.apiKey, 'DELETE', '/v1/projects/alpha');
    // alpha's instance may already be stopping (the matrix destroyed it); a live one is counted.
    const live = (await h.engine.store.get(instanceOf.alpha)).status;
    if (['pending', 'provisioning', 'running', 'stopping'].includes(live)) {
      expect(r.status).toBe(409);
      expect(r.text).toMatch(/1 live instance/);
    }
    expect((await api(h.apiKey, 'POST', '/v1/projects', { json: { name: 'gamma' } })).status).toBe(201);
    const g = JSON.parse((await api(h.apiKey, 'POST', '/v1/keys', { project: 'gamma', json: { name: 'g', role: 'owner' } })).text) as { key: string };
    expect((await api(h.apiKey, 'DELETE', '/v1/projects/gamma')).status).toBe(204);
    expect((await api(g.key, 'GET', '/v1/instances')).status).toBe(401);
    expect((await api(h.apiKey, 'POST', '/v1/projects', { json: { name: 'gamma' } })).status).toBe(409);
    expect((await api(h.apiKey, 'POST', '/v1/projects', { json: { name: 'Bad_Name' } })).text).toMatch(/name/);
    expect((await api(h.apiKey, 'DELETE', '/v1/projects/default')).status).toBe(409);
  });
});
