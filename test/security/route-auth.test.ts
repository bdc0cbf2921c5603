/**
 * The route table decides who gets in: every route declares its callers, and this walks all of
 * them with every kind of caller and with spellings of the path an attacker would try
 * (percent-encoded, doubled slashes, dot segments, mixed case, trailing slash).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, newToken } from '../../src/domain/tokens.ts';
import type { DeclaredRoute } from '../../src/api/access.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { CLOSED_PORT_URL, withPublicUrl } from '../helpers/hub-agent.ts';

let h: TestHangar;
let agentHeader: string;
beforeAll(async () => {
  h = await startTestHangar('routeauth');
  // An instance whose agent never reaches us; we give it a known agent key.
  const id = await withPublicUrl(h, CLOSED_PORT_URL, async () => {
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'route-auth', connectTimeoutSeconds: 600 } });
    expect(res.status).toBe(201);
    const created = ((await res.json()) as { id: string }).id;
    await h.waitFor(created, (r) => r.serverId !== null);
    return created;
  });
  const agentId = randomUUID();
  const agentKey = newToken('hga');
  await h.engine.store.update(id, { agentId, agentKeyHash: hashToken(agentKey) });
  agentHeader = `Bearer ${agentId}:${agentKey}`;
});
afterAll(async () => {
  await h?.close();
});

type Caller = 'none' | 'malformed' | 'wrong-key' | 'agent' | 'admin';
const CALLERS: Caller[] = ['none', 'malformed', 'wrong-key', 'agent', 'admin'];
const headerOf = (c: Caller): Record<string, string> =>
  ({ none: {}, malformed: { authorization: 'Bearer x' }, 'wrong-key': { authorization: `Bearer ${newToken('hgr')}` }, agent: { authorization: agentHeader }, admin: { authorization: `Bearer ${h.apiKey}` } })[c];

/** Who a declaration admits, among the callers tried (a builder needs its build token: none of these). */
const PROJECT_ROLES = ['viewer', 'operator', 'releaser', 'owner'];
const admits = (r: DeclaredRoute, c: Caller) => r.access === 'public' || (r.access === 'agent' && c === 'agent') || ((r.access === 'admin' || r.access === 'metrics' || PROJECT_ROLES.includes(r.access)) && c === 'admin');

/** A concrete path for a route: parameters filled with values that name nothing (a 404 after auth). */
const concrete = (url: string) =>
  url
    .replace(':id', randomUUID())
    .replace(':version', '99.0.0')
    .replace(':provider', 'nope')
    .replace(':ref', 'no-such-host')
    .replace('*', 'x');

async function call(method: string, path: string, caller: Caller): Promise<number> {
  const headers: Record<string, string> = { ...headerOf(caller) };
  const hasBody = !['GET', 'HEAD'].includes(method);
  if (hasBody) headers['content-type'] = 'application/json';
  const res = await fetch(`${h.url}${path}`, { method, headers, body: hasBody ? '{}' : undefined, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  await res.body?.cancel();
  return res.status;
}

describe('route table', () => {
  it('declares a caller for every route, and the API routes are not public', () => {
    expect(h.routes.length).toBeGreaterThan(30);
    for (const r of h.routes) expect(['public', 'agent', 'builder', 'admin', 'metrics', ...PROJECT_ROLES]).toContain(r.access);
    const publicApi = h.routes.filter((r) => r.access === 'public' && r.url.startsWith('/v1/')).map((r) => `${r.method} ${r.url}`);
    expect(publicApi.sort()).toEqual(['GET /v1/agent/bundle', 'HEAD /v1/agent/bundle', 'POST /v1/agents/enroll']);
  });

  it('admits exactly the declared callers on every route', async () => {
    let tried = 0;
    const wrong: string[] = [];
    for (const r of h.routes) {
      if (r.method === 'OPTIONS') continue;
      for (const c of CALLERS) {
        const status = await call(r.method, concrete(r.url), c);
        tried++;
        if (status >= 500) wrong.push(`${r.method} ${r.url} as ${c}: ${status}`);
        const got = status !== 401;
        if (got !== admits(r, c)) wrong.push(`${r.method} ${r.url} as ${c}: ${status}`);
      }
    }
    console.log(`route table: ${h.routes.length} routes × ${CALLERS.length} callers = ${tried} requests`);
    expect(wrong).toEqual([]);
  });

  it('no spelling of a protected path lets a caller without the right key in', async () => {
    const spell = (p: string): string[] => {
      const i = p.indexOf('v');
      return [
        p.slice(0, i) + '%76' + p.slice(i + 1), // /%761/instances
        p.replace(/\/([a-z])/, (_m, ch: string) => `/%${ch.charCodeAt(0).toString(16).toUpperCase()}`), // upper-case escape
        `/${p}`, // //v1/…
        p.replace('/v1/', '/v1//'),
        p.replace('/v1/', '/v1/./'),
        p.replace('/v1/', '/v1/x/../'),
        `/x/..${p}`,
        p.toUpperCase(),
        p.replace(/^\/v1/, '/V1'),
        `${p}/`,
        `${p}%2F`,
        `${p}?x=/healthz`,
        `${p}#`,
        `${p};/healthz`,
      ];
    };
    let tried = 0;
    const wrong: string[] = [];
    for (const r of h.routes.filter((x) => x.access !== 'public' && x.method !== 'HEAD' && x.method !== 'OPTIONS')) {
      const base = concrete(r.url);
      for (const path of spell(base)) {
        for (const c of CALLERS.filter((x) => !admits(r, x))) {
          const status = await rawStatus(r.method, path, headerOf(c));
          tried++;
          // Refused (401), not a route (404), a bad request, or throttled: never served, never a 5xx.
          if (![400, 401, 404, 405, 421, 429].includes(status)) wrong.push(`${r.method} ${path} as ${c}: ${status}`);
        }
      }
    }
    console.log(`path spellings: ${tried} requests`);
    expect(wrong).toEqual([]);
  });
});

/** A request with the path sent exactly as written (fetch would normalise it, like curl without --path-as-is). */
async function rawStatus(method: string, path: string, headers: Record<string, string>): Promise<number> {
  const { request } = await import('node:http');
  const u = new URL(h.url);
  const hasBody = !['GET', 'HEAD'].includes(method);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json', 'content-length': '2' } : {}) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.end(hasBody ? '{}' : undefined);
  });
}
