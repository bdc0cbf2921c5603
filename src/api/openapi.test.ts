import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { documented, documentedRaw } from '../../test/helpers/contract.ts';
import { startTestHangar, type TestHangar } from '../../test/helpers/hangar.ts';
import { newReleaseKey, signRelease } from '../domain/releases.ts';
import type { DeclaredRoute } from './access.ts';
import { openApiDocument } from './openapi.ts';

type Json = Record<string, any>;
/** Signs the release the response tests publish. */
const RELEASE_KEY = newReleaseKey();
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];
/** Registered routes that are not API operations: the dashboard's files (a catch-all GET). */
const NOT_OPERATIONS = new Set(['GET /*']);
/** What each declared access means in the document's `security`. */
const SECURITY: Record<string, unknown> = {
  public: [],
  agent: [{ agentKey: [] }],
  builder: [{ buildToken: [] }],
  admin: [{ apiKey: [] }],
  metrics: [{ apiKey: [] }, {}],
  // Project roles are API keys too (checked against req.project).
  ...Object.fromEntries(['viewer', 'operator', 'releaser', 'owner'].map((r) => [r, [{ apiKey: [] }]])),
};

/** Fastify's `/v1/instances/:id` as an OpenAPI path template, `/v1/instances/{id}`. */
const toTemplate = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const doc = openApiDocument() as Json;
const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, path, method: m, op: item[m] as Json })));

function newAjv() {
  const ajv = new Ajv2020({ strict: false, allErrors: true, formats: { 'media-range': true } });
  addFormats.default(ajv);
  return ajv;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (the OpenAPI Initiative’s schema)', () => {
    const ajv = newAjv();
    // ajv resolves `$dynamicRef: '#meta'` to the document root instead of `$defs/schema` (whose
    // `$dynamicAnchor: meta` it names), so it is followed as the plain `$ref` it means here: this
    // schema leaves Schema Objects to JSON Schema ("type: [object, boolean]"); the next test compiles them.
    const text = readFileSync(new URL('../../specs/oas-3.1.schema.yaml', import.meta.url), 'utf8');
    const validate = ajv.compile(parse(text.replaceAll("$dynamicRef: '#meta'", "$ref: '#/$defs/schema'")));
    const valid = validate(doc);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('holds schemas that compile as JSON Schema 2020-12, references that resolve', () => {
    const ajv = newAjv();
    const resolveRefs = (s: unknown): unknown => JSON.parse(JSON.stringify(s).replaceAll('"#/components/', '"hangar:components#/components/'));
    ajv.addSchema({ $id: 'hangar:components', components: doc.components }, 'components');
    const schemas: [string, unknown][] = [
      ...Object.entries(doc.components.schemas as Json).map(([n, s]) => [`components.schemas.${n}`, s] as [string, unknown]),
      ...operations.flatMap(({ key, op }) => [
        ...((op.parameters ?? []) as Json[]).map((p) => [`${key} parameter ${p.name}`, p.schema] as [string, unknown]),
        ...Object.entries((op.requestBody?.content ?? {}) as Json).map(([type, c]) => [`${key} body ${type}`, c.schema] as [string, unknown]),
        ...Object.entries(op.responses as Json).flatMap(([status, r]) => Object.entries((r.content ?? {}) as Json).map(([type, c]) => [`${key} ${status} ${type}`, c.schema] as [string, unknown])),
      ]),
    ];
    expect(schemas.length).toBeGreaterThan(100);
    for (const [where, s] of schemas) expect(() => ajv.compile(resolveRefs(s) as object), where).not.toThrow();
  });

  it('gives every operation a unique operationId and declares exactly the parameters of its path', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { key, path, op } of operations) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path').map((p) => p.name as string).sort();
      expect(declared, key).toEqual(inPath);
      for (const p of (op.parameters ?? []) as Json[]) if (p.in === 'path') expect(p.required, `${key} ${p.name}`).toBe(true);
    }
  });

  it('gives every JSON answer a schema of its own (the agent enrollment, the agents’ protocol, aside)', () => {
    const loose: string[] = [];
    for (const { key, op } of operations) {
      for (const [status, r] of Object.entries(op.responses as Json)) {
        for (const [type, c] of Object.entries((r.content ?? {}) as Json)) {
          const s = c.schema as Json;
          if (/json/.test(type) && !s.$ref && !s.properties && key !== 'POST /v1/agents/enroll') loose.push(`${key} ${status} ${type}`);
        }
      }
    }
    expect(loose).toEqual([]);
  });

  it('describes the known traps: instance ids are UUIDs, Last-Event-ID is an integer, free text refuses NUL', () => {
    const param = (key: string, name: string) => (operations.find((o) => o.key === key)!.op.parameters as Json[]).find((p) => p.name === name)!;
    expect(param('GET /v1/instances/{id}', 'id').schema.format).toBe('uuid');
    expect(param('GET /v1/instances/{id}/events', 'Last-Event-ID')).toMatchObject({ in: 'header', schema: { pattern: '^\\d{1,15}$' } });
    expect(JSON.stringify(doc.components.schemas.CreateInstance.properties.location)).toContain('\\\\u0000');
    const exec = operations.find((o) => o.key === 'POST /v1/instances/{id}/exec')!.op.requestBody.content['application/json'].schema;
    expect(JSON.stringify(exec.properties.argv.items)).toContain('\\\\u0000');
  });
});

describe('the OpenAPI document against the routes the app registers', () => {
  let h: TestHangar;
  let routes: DeclaredRoute[];
  beforeAll(async () => {
    h = await startTestHangar('openapi', { releaseKeys: [RELEASE_KEY.publicKey] });
    // HEAD routes are the ones Fastify adds for each GET.
    routes = h.routes.filter((r) => r.method !== 'HEAD' && !NOT_OPERATIONS.has(`${r.method} ${r.url}`));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('documents every registered route, and nothing else', () => {
    const registered = [...new Set(routes.map((r) => `${r.method} ${toTemplate(r.url)}`))].sort();
    expect(registered.length).toBeGreaterThan(30);
    expect(registered.filter((k) => !operations.some((o) => o.key === k)), 'registered but not documented').toEqual([]);
    expect(operations.map((o) => o.key).filter((k) => !registered.includes(k)), 'documented but not registered').toEqual([]);
  });

  it('documents who may call each route as the route declares it', () => {
    for (const r of routes) {
      const o = operations.find((x) => x.key === `${r.method} ${toTemplate(r.url)}`);
      expect(o, `${r.method} ${r.url}`).toBeDefined();
      expect(o!.op.security ?? doc.security, `${o!.key} (${r.access})`).toEqual(SECURITY[r.access]);
    }
  });

  it('is what /openapi.json serves, without a key', async () => {
    const res = await fetch(`${h.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  describe('answers as documented', () => {
    const check = documented;
    const checkRaw = documentedRaw;
    let id: string;

    it('instances: create, dry run, list, get', async () => {
      const created = await h.client.POST('/v1/instances', { params: { header: { 'Idempotency-Key': 'openapi-1' } }, body: { provider: 'local', name: 'openapi', config: { exec: true } } });
      expect(created.response.status).toBe(201);
      id = (check('post', '/v1/instances', created) as { id: string }).id;
      check('post', '/v1/instances', await h.client.POST('/v1/instances', { params: { query: { dryRun: 'true' } }, body: { provider: 'local', name: 'plan' } }));
      const page = check('get', '/v1/instances', await h.client.GET('/v1/instances', { params: { query: { limit: 10 } } })) as { items: unknown[] };
      expect(page.items.length).toBeGreaterThan(0);
      check('get', '/v1/instances/{id}', await h.client.GET('/v1/instances/{id}', { params: { path: { id } } }));
    });

    it('events: one instance’s and every instance’s (JSON pages)', async () => {
      const page = check('get', '/v1/instances/{id}/events', await h.client.GET('/v1/instances/{id}/events', { params: { path: { id } } })) as { items: unknown[] };
      expect(page.items.length).toBeGreaterThan(0);
      check('get', '/v1/events', await h.client.GET('/v1/events', { params: { query: { limit: 5 } } }));
    });

    it('providers, their server types and locations', async () => {
      check('get', '/v1/providers', await h.client.GET('/v1/providers'));
      const types = check('get', '/v1/providers/{provider}/server-types', await h.client.GET('/v1/providers/{provider}/server-types', { params: { path: { provider: 'local' } } })) as { items: unknown[] };
      expect(types.items.length).toBeGreaterThan(0);
      check('get', '/v1/providers/{provider}/locations', await h.client.GET('/v1/providers/{provider}/locations', { params: { path: { provider: 'local' } } }));
    });

    it('agent releases: publish, list, get, approve, revoke', async () => {
      const bundle = Buffer.from('export const hello = 1;\n');
      const version = '9.8.7';
      check('post', '/v1/agent-releases', await h.client.POST('/v1/agent-releases', { body: { version, bundle: bundle.toString('base64'), signature: signRelease(bundle, version, RELEASE_KEY.privateKeyPem), notes: 'openapi' } }));
      const list = check('get', '/v1/agent-releases', await h.client.GET('/v1/agent-releases')) as { items: unknown[]; trustedKeys: number };
      expect(list).toMatchObject({ items: [expect.objectContaining({ version })], trustedKeys: 1 });
      check('get', '/v1/agent-releases/{version}', await h.client.GET('/v1/agent-releases/{version}', { params: { path: { version } } }));
      check('post', '/v1/agent-releases/{version}/approve', await h.client.POST('/v1/agent-releases/{version}/approve', { params: { path: { version } }, body: { canaryPercent: 10 } }));
      check('post', '/v1/agent-releases/{version}/revoke', await h.client.POST('/v1/agent-releases/{version}/revoke', { params: { path: { version } } }));
    });

    it('reconcile report, snapshots, snapshot builds, system', async () => {
      check('post', '/v1/reconcile', await h.client.POST('/v1/reconcile'));
      check('get', '/v1/snapshots', await h.client.GET('/v1/snapshots'));
      check('post', '/v1/snapshots/prune', await h.client.POST('/v1/snapshots/prune'));
      check('get', '/v1/snapshot-builds', await h.client.GET('/v1/snapshot-builds'));
      check('get', '/livez', await h.client.GET('/livez'));
      check('get', '/readyz', await h.client.GET('/readyz'));
      check('get', '/openapi.json', await h.client.GET('/openapi.json'));
    });

    it('operating a connected agent: status, doctor, logs, smoke, restart, exec, agent update', async () => {
      await h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected' && r.workloadHealthy === true, 45_000);
      const path = { path: { id } };
      const status = check('get', '/v1/instances/{id}/status', await h.client.GET('/v1/instances/{id}/status', { params: path })) as { agent: unknown };
      expect(status.agent).not.toBeNull();
      check('post', '/v1/instances/{id}/doctor', await h.client.POST('/v1/instances/{id}/doctor', { params: path }));
      check('get', '/v1/instances/{id}/logs', await h.client.GET('/v1/instances/{id}/logs', { params: { ...path, query: { lines: 5 } } }));
      check('post', '/v1/instances/{id}/smoke', await h.client.POST('/v1/instances/{id}/smoke', { params: path }));
      check('post', '/v1/instances/{id}/restart', await h.client.POST('/v1/instances/{id}/restart', { params: path, body: { timeoutSeconds: 30 } }));
      check('post', '/v1/instances/{id}/exec', await h.client.POST('/v1/instances/{id}/exec', { params: path, body: { argv: ['sh', '-c', 'echo hi'] } }));
      check('post', '/v1/instances/{id}/agent-update', await h.client.POST('/v1/instances/{id}/agent-update', { params: path }));
    }, 120_000);

    it('destroy, then a status without an agent', async () => {
      check('delete', '/v1/instances/{id}', await h.client.DELETE('/v1/instances/{id}', { params: { path: { id } } }));
      await h.waitFor(id, (r) => r.status === 'stopped', 45_000);
      const status = check('get', '/v1/instances/{id}/status', await h.client.GET('/v1/instances/{id}/status', { params: { path: { id } } })) as { agent: unknown; agentError?: string };
      expect(status).toMatchObject({ agent: null, agentError: expect.any(String) });
    });

    it('problem details: a 404, a 400 naming its fields, the ssh provider switched off', async () => {
      await checkRaw('get', '/v1/instances/{id}', await h.api('/v1/instances/00000000-0000-4000-8000-000000000000'));
      const bad = await checkRaw('post', '/v1/instances', await h.api('/v1/instances', { method: 'POST', json: { provider: 'nowhere', tailscaleTags: ['x'] } }));
      expect(bad.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['provider', 'tailscaleTags.0']));
      await checkRaw('get', '/v1/ssh-hosts', await h.api('/v1/ssh-hosts'));
    });
  });
});
