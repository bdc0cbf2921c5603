import fc from 'fast-check';
import { anyOf, asText, bentOf, deeplyNested, headerText, nasty, rawEscapes, urlEncode, validOf, type Components, type Json } from './fuzz-values.ts';

/** One operation of the OpenAPI document. */
export interface Operation {
  id: string;
  method: string;
  path: string;
  op: Json;
  /** `public`, `apiKey` (the default), `agentKey`, `buildToken`, or `apiKey|public` (metrics). */
  caller: string;
}

/** Values of real objects, so requests reach past the 404: path parameters by name, credentials. */
export interface Fixtures {
  /** Path parameter values by operation path and parameter name (`/v1/instances/{id}` → `id` → [ghost id, …]). */
  params: (path: string, name: string) => string[];
  apiKey: string;
  agentAuth: string;
  /** Query values handed out by the API (a list's `nextCursor`) and their near-misses, by parameter name. */
  query: (name: string) => string[];
  /** Real values of body properties by operation id (`enrollAgent` → `{ token: [live tokens] }`), used in half the bodies. */
  bodyFields: (operationId: string) => Record<string, unknown[]> | undefined;
}

/** A request as it goes on the wire. */
export interface FuzzRequest {
  method: string;
  /** Path and query string, already encoded. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** `arb` about once in `every` draws, else absent. */
const oneIn = <T>(every: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** Every operation of the document, in document order. */
export function operationsOf(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const sec = (op.security ?? doc.security) as Json[];
      const caller = !sec.length ? 'public' : sec.some((s) => !Object.keys(s).length) ? `${Object.keys(sec[0])[0]}|public` : Object.keys(sec[0])[0];
      out.push({ id: op.operationId, method: method.toUpperCase(), path, op, caller });
    }
  }
  return out;
}

const ACCEPT = ['application/json', 'text/event-stream', '*/*', 'text/html', 'application/problem+json', 'text/event-stream, application/json;q=0.5', 'x/\u00ff'];
const CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/merge-patch+json', '', 'application/json; boundary=\u00e9'];
const BAD_JSON = ['{', '{"a":', 'nul', '[1,]', '{"a":1}{"b":2}', '\u0000', '\uFEFF{}', "{'a':1}", '{"a":NaN}', '{"a":1e999999}', '"\\ud800"', '{"__proto__":1,"__proto__":2}'];
const LAST_EVENT_IDS = ['1.5', '1e20', 'Infinity', '-1', 'NaN', '', ' 12 ', '0', '7', '9'.repeat(20), 'abc', '0x10', '\u00e9'];

/** The Authorization header an operation gets: mostly the right credential, sometimes none or a forged one. */
function authOf(o: Operation, f: Fixtures): fc.Arbitrary<string | undefined> {
  const forged = fc.constantFrom<string | undefined>(
    undefined,
    'Bearer',
    'Basic YWRtaW46YWRtaW4=',
    `Bearer ${f.apiKey} `,
    `Bearer hgr_${'A'.repeat(43)}`,
    'Bearer ------------------------------------:hga_x',
    'Bearer 00000000-0000-4000-8000-000000000000:hga_forged',
    `Bearer ${f.agentAuth.slice(7, 43)}:hga_wrong`,
    `Bearer ${'x'.repeat(8000)}`,
  );
  const right = o.caller.startsWith('agentKey') ? f.agentAuth : o.caller.startsWith('apiKey') ? `Bearer ${f.apiKey}` : o.caller === 'buildToken' ? 'Bearer hgs_not-a-real-build-token' : undefined;
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(right ?? `Bearer ${f.apiKey}`) },
    { weight: 2, arbitrary: forged },
    { weight: 1, arbitrary: nasty.map((v) => headerText(`Bearer ${asText(v)}`)) },
  );
}

/** A value for a path parameter: a real object's (most often), one the schema allows, or nasty. */
function pathValue(o: Operation, p: Json, components: Components, f: Fixtures): fc.Arbitrary<string> {
  const real = f.params(o.path, p.name);
  return fc.oneof(
    ...(real.length ? [{ weight: 6, arbitrary: fc.constantFrom(...real).map(urlEncode) }] : []),
    { weight: 2, arbitrary: validOf(components, p.schema).map((v) => urlEncode(asText(v))) },
    { weight: 3, arbitrary: nasty.map((v) => urlEncode(asText(v))) },
    { weight: 1, arbitrary: rawEscapes },
  );
}

/** The query string: each declared parameter absent, valid, on a boundary or nasty; sometimes repeated or unknown ones. */
function queryOf(o: Operation, components: Components, f: Fixtures): fc.Arbitrary<string> {
  const params = ((o.op.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
  const valueOf = (p: Json) => {
    const real = f.query(p.name);
    return real.length ? fc.oneof(anyOf(components, p.schema), fc.constantFrom(...real)) : anyOf(components, p.schema);
  };
  const one = (p: Json) => oneIn(2, valueOf(p).map((v) => `${urlEncode(p.name)}=${urlEncode(asText(v))}`)).map((v) => v ?? '');
  const extra = fc.oneof(
    fc.constant(''),
    fc.tuple(nasty, nasty).map(([k, v]) => `${urlEncode(asText(k))}=${urlEncode(asText(v))}`),
    rawEscapes.map((e) => `${e}=${e}`),
    ...(params.length ? [fc.constantFrom(...params).map((p) => `${p.name}=1&${p.name}=2`)] : []),
  );
  return fc.tuple(...params.map(one), fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: extra })).map((parts) => parts.filter(Boolean).join('&'));
}

/** The body: valid, bent, nasty, not JSON at all, deeply nested, too large, or under another content type. */
function bodyOf(o: Operation, components: Components, fields: Record<string, unknown[]> | undefined): fc.Arbitrary<{ type?: string; text?: string }> {
  const schema = o.op.requestBody?.content?.['application/json']?.schema as Json | undefined;
  const json = (a: fc.Arbitrary<unknown>) => a.map((v) => ({ type: 'application/json', text: JSON.stringify(v) }));
  const hostile = [
    { weight: 2, arbitrary: json(nasty) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_JSON).map((text) => ({ type: 'application/json', text })) },
    { weight: 1, arbitrary: fc.constantFrom(5000, 100_000).map((d) => ({ type: 'application/json', text: deeplyNested(d) })) },
    { weight: 1, arbitrary: fc.constant({ type: 'application/json', text: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }) }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...CONTENT_TYPES), fc.jsonValue({ maxDepth: 2 })).map(([type, v]) => ({ type: headerText(type), text: JSON.stringify(v) })) },
    { weight: 1, arbitrary: fc.constantFrom({ type: 'application/json', text: '' }, {}) },
  ];
  if (!schema) return fc.oneof({ weight: 12, arbitrary: fc.constant({}) }, ...hostile);
  const s = schema.$ref ? components[String(schema.$ref).split('/').pop()!] : schema;
  // Half the time some properties take real values (a live token, a usable key), so the rest reach deeper.
  const forms = fields ? [s, { ...s, properties: { ...s.properties, ...Object.fromEntries(Object.entries(fields).map(([k, values]) => [k, { enum: values }])) } }] : [s];
  const shaped = (f: (x: Json) => fc.Arbitrary<unknown>) => fc.oneof(...forms.map(f));
  return fc.oneof({ weight: 5, arbitrary: json(shaped((x) => validOf(components, x))) }, { weight: 6, arbitrary: json(shaped((x) => bentOf(components, x))) }, ...hostile);
}

/**
 * Requests for one operation: path, query, headers and body each drawn from the document.
 *
 * @example
 * fc.sample(requestsFor(op, components, fixtures), { seed: 1, numRuns: 50 })
 */
export function requestsFor(o: Operation, components: Components, f: Fixtures): fc.Arbitrary<FuzzRequest> {
  const pathParams = ((o.op.parameters ?? []) as Json[]).filter((p) => p.in === 'path');
  const headerParams = ((o.op.parameters ?? []) as Json[]).filter((p) => p.in === 'header').map((p) => p.name as string);
  const documented = (name: string) => headerParams.includes(name);
  const sometimes = (name: string, a: fc.Arbitrary<string>) => oneIn(documented(name) ? 2 : 12, a.map(headerText));
  return fc
    .record({
      path: fc.tuple(...pathParams.map((p) => pathValue(o, p, components, f).map((v) => [p.name as string, v] as const))),
      query: queryOf(o, components, f),
      auth: authOf(o, f),
      lastEventId: sometimes('Last-Event-ID', fc.oneof(fc.constantFrom(...LAST_EVENT_IDS), nasty.map(asText))),
      idempotencyKey: sometimes('Idempotency-Key', fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('a'.repeat(201), '\u00e9t\u00e9', ' ', ''), nasty.map(asText))),
      accept: oneIn(2, fc.constantFrom(...ACCEPT)),
      origin: oneIn(30, fc.constantFrom('http://evil.example', 'null', 'http://127.0.0.1')),
      body: bodyOf(o, components, f.bodyFields(o.id)),
    })
    .map((r) => {
      let path = o.path;
      for (const [name, v] of r.path) path = path.replace(`{${name}}`, v);
      const headers: Record<string, string> = {};
      if (r.auth !== undefined) headers.authorization = headerText(r.auth);
      if (r.lastEventId !== undefined) headers['last-event-id'] = r.lastEventId;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      if (r.accept !== undefined) headers.accept = headerText(r.accept);
      if (r.origin !== undefined) headers.origin = r.origin;
      if (r.body.type !== undefined) headers['content-type'] = r.body.type;
      return { method: o.method, url: r.query ? `${path}?${r.query}` : path, headers, body: r.body.text };
    });
}
