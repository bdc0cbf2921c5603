/**
 * Property-based fuzzing of the whole HTTP API, generated from its own `/openapi.json`: for every
 * operation, requests with valid, boundary and hostile path parameters, query strings, headers
 * (Authorization, Last-Event-ID, Idempotency-Key, Accept: text/event-stream, Origin) and bodies
 * (valid, one field bent, wrong types, NUL bytes, lone surrogates, not JSON, nested 100 000 deep,
 * too large, other content types), with and without credentials. It fails on any 5xx but a 502,
 * 503 or 504 the operation documents (an agent or a cloud that did not answer), on input that
 * reached the database unvalidated (`unvalidated-input`), on an error body that leaks a stack or a
 * query, and on the server not answering /healthz afterwards.
 *
 * Bounded: FUZZ_SEED (default 20260117) fixes every request; FUZZ_RUNS requests per operation
 * (default 150); FUZZ_TIME_LIMIT_MS for all of them (default 25 000, shared fairly between
 * operations); FUZZ_REQUEST_TIMEOUT_MS per request (default 10 000). It prints one summary line:
 * requests sent and the status histogram (FUZZ_VERBOSE=1: per operation too).
 */
import fc from 'fast-check';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newReleaseKey, signRelease } from '../../src/domain/releases.ts';
import { hashToken, newToken } from '../../src/domain/tokens.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { alive, send, type FuzzResponse } from './fuzz-client.ts';
import { operationsOf, requestsFor, type FuzzRequest, type Operation } from './fuzz-requests.ts';
import { opaqueMutations, type Json } from './fuzz-values.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_117);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS ?? 25_000);
const REQUEST_TIMEOUT_MS = Number(process.env.FUZZ_REQUEST_TIMEOUT_MS ?? 10_000);
/**
 * Creates on the local provider the fuzzer may really run (each starts an agent process); later
 * ones are dry runs. Creates on `ssh` run for real: they only claim the fixture host, whose port
 * refuses, and fail.
 */
const LOCAL_CREATES = 1;

let h: TestHangar;
let doc: Json;
/**
 * Fixtures: two instances with no agent behind them (running and "connected" as far as the
 * database knows, so agent operations answer 504 at once), agents about to enroll, an agent key,
 * a published release and a registered SSH host.
 */
const fx = { ghost: '', ghostExec: '', enrollees: [] as string[], bootstrapTokens: [] as string[], agentAuth: '', privateKey: '', host: { id: '', name: 'fuzz-host' }, version: '1.0.0' };
/** Instances waiting to enroll (each live token is spent by one successful enrollment). */
const ENROLLEES = 12;

async function seedInstance(name: string, set: Json) {
  const id = crypto.randomUUID();
  await h.engine.store.insert({ id, name, serverName: `hangar-${name}-${id.slice(0, 8)}`, provider: 'local', workload: 'process', labels: {}, ...set }, { actor: 'test', kind: 'transition', reason: 'fuzz fixture' });
  return id;
}

beforeAll(async () => {
  const releaseKey = newReleaseKey();
  h = await startTestHangar('fuzz', { releaseKeys: [releaseKey.publicKey], localCommands: false, reconcileSeconds: 0 }, { noEnvProviders: true });
  doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as Json;

  const agentId = crypto.randomUUID();
  const agentKey = newToken('hga');
  fx.agentAuth = `Bearer ${agentId}:${agentKey}`;
  fx.ghost = await seedInstance('ghost', { status: 'running', connection: 'connected', agentId, agentKeyHash: hashToken(agentKey), agentVersion: '0.9.0' });
  fx.ghostExec = await seedInstance('ghost-exec', { status: 'running', connection: 'connected', workloadConfig: { exec: true } });
  // Agents about to enroll, one live bootstrap token each: every successful enrollment spends one.
  for (let i = 0; i < ENROLLEES; i++) {
    const token = newToken('hgb');
    fx.bootstrapTokens.push(token);
    fx.enrollees.push(await seedInstance(`enrollee-${i}`, { status: 'provisioning', step: 'boot', bootstrapTokenHash: hashToken(token), bootstrapTokenExpiresAt: new Date(Date.now() + 3_600_000) }));
  }

  const bundle = Buffer.from('console.log("fuzz")');
  const published = await h.api('/v1/agent-releases', { method: 'POST', json: { version: fx.version, bundle: bundle.toString('base64'), signature: signRelease(bundle, fx.version, releaseKey.privateKeyPem) } });
  expect(published.status).toBe(201);
  // ssh2 cannot parse about 1 in 300 of the ed25519 keys it generates: take one it can.
  do fx.privateKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  while (ssh2.utils.parseKey(fx.privateKey) instanceof Error);
  // Nothing listens on port 1: a probe is refused at once.
  const host = await h.api('/v1/ssh-hosts', { method: 'POST', json: { name: fx.host.name, address: '127.0.0.1', port: 1, user: 'root', privateKey: fx.privateKey } });
  expect(host.status, await host.clone().text()).toBe(201);
  fx.host.id = ((await host.json()) as { id: string }).id;
});

afterAll(async () => {
  await h?.close();
});

/** Real objects for path parameters, by path and name. */
function params(path: string, name: string): string[] {
  if (path.startsWith('/v1/instances/{id}')) return path.endsWith('/exec') ? [fx.ghostExec, fx.ghost] : [fx.ghost, fx.ghostExec, fx.enrollees[0]];
  if (name === 'ref') return [fx.host.id, fx.host.name];
  if (name === 'version') return [fx.version];
  if (path.startsWith('/v1/providers/{provider}/credentials')) return ['tailscale', 'hetzner'];
  if (name === 'provider') return ['local', 'ssh'];
  return [];
}

/** Real values for body properties, so the other properties get past the first check. */
function bodyFields(operationId: string): Record<string, unknown[]> | undefined {
  if (operationId === 'enrollAgent') return { token: fx.bootstrapTokens };
  if (operationId === 'registerSshHost') return { privateKey: [fx.privateKey], address: ['127.0.0.1', 'localhost'], port: [1] };
  // ssh creates are real (they claim the fixture host and fail); local ones are dry runs after the first.
  if (operationId === 'createInstance') return { provider: ['ssh', 'local'], workload: ['process'], config: [{}, { exec: true }] };
  if (operationId === 'putCredentials') return { token: ['fuzz-token-0123456789'] };
  return undefined;
}

/**
 * The order operations run in: reads, then writes, then deletes (destroying the fixtures last),
 * so that no operation loses the objects it is meant to reach.
 */
function ordered(ops: Operation[]): Operation[] {
  const rank = (o: Operation) => (o.method === 'GET' ? 0 : o.method === 'DELETE' ? (o.id === 'destroyInstance' ? 4 : 3) : o.id === 'putCredentials' || o.id === 'reconcile' ? 2 : 1);
  return [...ops].sort((a, b) => rank(a) - rank(b));
}

/** Whether a create request could start a local agent (its body is not clearly for another provider). */
function startsLocalAgent(r: FuzzRequest): boolean {
  try {
    const provider = (JSON.parse(r.body ?? '') as { provider?: unknown } | null)?.provider;
    return !['ssh', 'hetzner', 'digital-ocean'].includes(provider as string);
  } catch {
    return true;
  }
}

/** Why a response is a failure, or null. */
function verdict(o: Operation, r: FuzzRequest, res: FuzzResponse): string | null {
  if (res.status === null) return null;
  const documented = Object.keys(o.op.responses as Json).includes(String(res.status));
  if (res.status >= 500 && !([502, 503, 504].includes(res.status) && documented)) return `${res.status}${documented ? '' : ' (undocumented)'}`;
  if (res.text.includes('problems/unvalidated-input')) return `${res.status} unvalidated input reached the database`;
  if (/\n\s+at .+:\d+:\d+|Failed query|node_modules|\/[\w.-]+\/[\w./-]+\.(?:ts|js|mjs|cjs):\d+/.test(res.text)) return `${res.status} error body leaks internals`;
  // A Last-Event-ID outside its documented shape must be refused, not answered (with a silent stream).
  const lastEventId = ((o.op.parameters ?? []) as Json[]).find((p) => p.in === 'header' && p.name === 'Last-Event-ID');
  // Spaces and tabs around a header value are not part of it (RFC 9110 §5.5).
  const sent = r.headers['last-event-id']?.replace(/^[\t ]+|[\t ]+$/g, '');
  if (lastEventId && sent !== undefined && res.status < 300 && !new RegExp(lastEventId.schema.pattern).test(sent)) return `${res.status} to Last-Event-ID ${JSON.stringify(sent)}`;
  return null;
}

/** A stable seed per operation: adding an operation does not change the others' requests. */
const seedOf = (id: string) => [...id].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, SEED);

/** A request in a form someone can replay with curl. */
const show = (r: FuzzRequest) => `${r.method} ${r.url.slice(0, 300)} ${JSON.stringify(Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, k === 'authorization' ? v.slice(0, 40) : v.slice(0, 120)])))}${r.body === undefined ? '' : ` body=${r.body.slice(0, 300)}`}`;

/** The problem a request gets: its status and the fields it names. */
async function problemOf(res: Response) {
  const body = (await res.json().catch(() => ({}))) as { type?: string; errors?: { field: string }[] };
  return { status: res.status, type: res.headers.get('content-type'), fields: (body.errors ?? []).map((e) => e.field) };
}

describe('the 500s the issue names are 4xx naming the field', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');

  it('a list cursor whose id is not a UUID → 400 cursor', async () => {
    for (const c of [b64('2024-01-01T00:00:00Z|nope'), b64('2024-01-01T00:00:00Z|------------------------------------'), b64('0000-01-01T00:00:00Z|5aa2f4bc-1c2d-4e5f-8a9b-0c1d2e3f4a5b')]) {
      expect(await problemOf(await h.api(`/v1/instances?cursor=${c}`))).toMatchObject({ status: 400, fields: ['cursor'] });
    }
  });

  it('a Last-Event-ID that is not an event id → 400 naming Last-Event-ID, for JSON and for a stream (never 200 and silence)', async () => {
    for (const path of ['/v1/events', `/v1/instances/${fx.ghost}/events`]) {
      for (const id of ['1.5', '1e20', 'Infinity', '-1', 'abc']) {
        for (const accept of ['application/json', 'text/event-stream']) {
          const res = await h.api(path, { headers: { 'last-event-id': id, accept } });
          expect(await problemOf(res), `${path} ${id} ${accept}`).toMatchObject({ status: 400, type: expect.stringMatching(/^application\/problem\+json/), fields: ['Last-Event-ID'] });
        }
      }
    }
  });

  it('a NUL byte (or an unpaired surrogate) in exec argv → 400 argv.N, exec enabled or not', async () => {
    for (const id of [fx.ghostExec, fx.ghost]) {
      for (const bad of ['a\u0000b', 'a\ud800']) expect(await problemOf(await h.api(`/v1/instances/${id}/exec`, { method: 'POST', json: { argv: ['ls', bad] } })), JSON.stringify(bad)).toMatchObject({ status: 400, fields: ['argv.1'] });
    }
  });

  it('a NUL byte in location, serverType, image or config of a create → 400 naming it', async () => {
    // On the ssh provider a create is real (no process starts), so the row would be written.
    for (const field of ['location', 'serverType', 'image']) {
      expect(await problemOf(await h.api('/v1/instances', { method: 'POST', json: { provider: 'ssh', [field]: 'x\u0000' } }))).toMatchObject({ status: 400, fields: [field] });
    }
    for (const bad of ['a\u0000', '\udfff']) expect(await problemOf(await h.api('/v1/instances', { method: 'POST', json: { provider: 'ssh', config: { args: [bad] } } }))).toMatchObject({ status: 400, fields: ['config.args.0'] });
  });

  it('a NUL byte in a release version or notes → 400 naming it; in a version in a path → 404', async () => {
    const release = { version: '2.0.0', bundle: 'eA==', signature: 'c2ln' };
    expect(await problemOf(await h.api('/v1/agent-releases', { method: 'POST', json: { ...release, version: '2.0.0\u0000' } }))).toMatchObject({ status: 400, fields: ['version'] });
    expect(await problemOf(await h.api('/v1/agent-releases', { method: 'POST', json: { ...release, notes: 'n\u0000' } }))).toMatchObject({ status: 400, fields: ['notes'] });
    for (const path of ['/v1/agent-releases/1.0.0%00', '/v1/agent-releases/%00/approve', '/v1/agent-releases/%00/revoke']) {
      expect((await h.api(path, { method: path.endsWith('e') ? 'POST' : 'GET' })).status, path).toBe(404);
    }
  });

  it('a NUL byte in any SSH host field → 400 naming it; in a host reference → 404', async () => {
    // A host that registers but for the one field (a passphrase is sealed, never stored as text: not here).
    const host = { name: 'nul-host', address: '127.0.0.1', port: 1, privateKey: fx.privateKey };
    for (const field of ['name', 'address', 'user', 'privateKey', 'keyPath', 'hostKey', 'remoteRoot']) {
      const value = field === 'keyPath' || field === 'remoteRoot' ? '/opt/a\u0000' : 'a\u0000';
      const body = field === 'keyPath' ? { ...host, privateKey: undefined, keyPath: value } : { ...host, [field]: value };
      expect(await problemOf(await h.api('/v1/ssh-hosts', { method: 'POST', json: body })), field).toMatchObject({ status: 400, fields: [field] });
    }
    for (const method of ['GET', 'DELETE']) expect((await h.api('/v1/ssh-hosts/a%00b', { method })).status).toBe(404);
    expect((await h.api('/v1/ssh-hosts/a%00b/probe', { method: 'POST' })).status).toBe(404);
  });

  it('a NUL byte or an unpaired surrogate in an enrollment’s version or hostname → 400 naming it', async () => {
    for (const [field, bad] of [['version', 'v\u0000'], ['hostname', 'h\u0000'], ['hostname', '\udfff\ud800']]) {
      const token = newToken('hgb');
      await seedInstance(`enroll-${field}`, { status: 'provisioning', step: 'boot', bootstrapTokenHash: hashToken(token), bootstrapTokenExpiresAt: new Date(Date.now() + 3_600_000) });
      const res = await fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, [field]: bad }) });
      expect(await problemOf(res), `${field} ${JSON.stringify(bad)}`).toMatchObject({ status: 400, fields: [field] });
    }
  });

  it('a path parameter naming an Object.prototype key is no provider: 400, nothing stored', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(await problemOf(await h.api(`/v1/providers/${name}/credentials`, { method: 'PUT', json: { token: 'fuzz-token-0123456789' } })), name).toMatchObject({ status: 400, fields: ['provider'] });
    }
  });

  it('an id that is not a UUID in a path → 404, whichever route', async () => {
    for (const id of ['xyz', '------------------------------------', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '%00']) {
      for (const [method, path] of [['GET', ''], ['DELETE', ''], ['GET', '/events'], ['GET', '/status'], ['GET', '/logs'], ['POST', '/doctor'], ['POST', '/smoke'], ['POST', '/agent-update']]) {
        expect((await h.api(`/v1/instances/${id}${path}`, { method })).status, `${method} ${id}${path}`).toBe(404);
      }
      expect((await h.api(`/v1/instances/${id}/exec`, { method: 'POST', json: { argv: ['true'] } })).status).toBe(404);
      expect((await h.api(`/v1/snapshot-builds/${id}`)).status).toBe(404);
    }
    const forged = await fetch(`${h.url}/v1/agents/update?version=1.0.0`, { headers: { authorization: 'Bearer ------------------------------------:hga_x' } });
    expect(forged.status).toBe(401);
  });
});

describe('fuzzing every operation of /openapi.json', () => {
  it('answers no request with a 5xx (but documented 502/503/504), leaks nothing, and stays up', { timeout: TIME_LIMIT_MS + 90_000 }, async () => {
    const components = doc.components.schemas as Json;
    const page = (await (await h.api('/v1/instances?limit=1')).json()) as { nextCursor: string };
    const cursors = [page.nextCursor, ...opaqueMutations(page.nextCursor)];
    const fixtures = { params, query: (name: string) => (name === 'cursor' ? cursors : []), apiKey: h.apiKey, agentAuth: fx.agentAuth, bodyFields };
    const ops = ordered(operationsOf(doc));
    expect(ops.length).toBeGreaterThan(30);
    const histogram = new Map<string, number>();
    const perOperation = new Map<string, number>();
    /** Distinct failures (operation and reason), each with its first request and a count. */
    const failures = new Map<string, { example: string; n: number }>();
    const timeouts: string[] = [];
    const fail = (key: string, example: string) => {
      const f = failures.get(key);
      if (f) f.n++;
      else failures.set(key, { example, n: 1 });
    };
    const t0 = Date.now();
    let sent = 0;
    let localCreates = 0;
    const elapsed = new Map<string, number>();
    for (const [i, o] of ops.entries()) {
      const started = Date.now();
      // A fair share of what time is left, so every operation is reached within the cap.
      const deadline = Date.now() + Math.max(0, TIME_LIMIT_MS - (Date.now() - t0)) / (ops.length - i);
      const requests = fc.sample(requestsFor(o, components, fixtures), { seed: seedOf(o.id), numRuns: RUNS });
      for (const r of requests) {
        if (Date.now() > deadline) break;
        const local = o.id === 'createInstance' && startsLocalAgent(r);
        if (local && localCreates >= LOCAL_CREATES) r.url = `${r.url.replace(/([?&])dryRun=[^&]*/g, '$1')}${r.url.includes('?') ? '&' : '?'}dryRun=true`;
        const res = await send(h.url, r, REQUEST_TIMEOUT_MS);
        sent++;
        if (local && res.status === 201) localCreates++;
        const bucket = res.status === null ? (res.error ?? 'error') : String(res.status);
        histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
        perOperation.set(`${o.id} ${bucket}`, (perOperation.get(`${o.id} ${bucket}`) ?? 0) + 1);
        if (res.error === 'timeout') timeouts.push(`${o.id}: ${show(r)}`);
        const why = verdict(o, r, res);
        if (why) fail(`${o.id} → ${why}`, `${show(r)} → ${res.text.slice(0, 300)}`);
        if (res.status === null && !res.error?.startsWith('client') && !(await alive(h.url))) {
          fail(`${o.id} → the server stopped answering (${res.error})`, show(r));
          break;
        }
      }
      elapsed.set(o.id, Date.now() - started);
      if (!(await alive(h.url))) {
        fail(`${o.id} → /healthz does not answer 200 after this operation`, '');
        break;
      }
    }
    const statuses = [...histogram.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`).join(' ');
    console.log(`[fuzz] seed=${SEED} runs=${RUNS}/operation operations=${ops.length} requests=${sent} in ${((Date.now() - t0) / 1000).toFixed(1)}s; statuses: ${statuses}; failures=${[...failures.values()].reduce((n, f) => n + f.n, 0)}; timeouts=${timeouts.length}`);
    if (process.env.FUZZ_VERBOSE) console.log(`[fuzz] per operation: ${[...perOperation.entries()].map(([k, n]) => `${k}=${n}`).join(', ')}\n[fuzz] ms per operation: ${[...elapsed.entries()].map(([k, ms]) => `${k}=${ms}`).join(', ')}`);
    if (timeouts.length) console.log(`[fuzz] timed out (not failures):\n${timeouts.slice(0, 10).join('\n')}`);
    expect(sent).toBeGreaterThan(ops.length);
    expect(await alive(h.url)).toBe(true);
    const report = [...failures.entries()].map(([key, f]) => `${key} (×${f.n})\n    ${f.example}`);
    expect(report, report.join('\n')).toEqual([]);
  });
});
