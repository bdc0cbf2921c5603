/**
 * Response schemas from the vendors' own OpenAPI descriptions (specs/, vendored from ../shared/specs/), resolved into
 * self-contained JSON Schemas that ajv validates emulator (or client fixture) bodies against.
 *
 * - Hetzner (OpenAPI 3.0.3, paths without `/v1`) and DigitalOcean (3.0.0, YAML, paths with `/v2`):
 *   `nullable` is rewritten into JSON Schema (`type: [t, 'null']`); validated with draft-07 ajv.
 * - Tailscale (3.1.0, paths without `/api/v2`): validated with ajv's 2020-12 dialect.
 * Parsed specs are cached in memory, and the big DigitalOcean YAML also as JSON on disk.
 *
 * @example
 * const r = validateResponse('hetzner', 'GET', '/servers/{id}', 200, body);
 * expect(r.errors).toEqual([]);
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

export type SpecVendor = 'hetzner' | 'digitalocean' | 'tailscale';

type Json = Record<string, unknown>;

/** Where the specs live: $HANGAR_SPECS_DIR, else `<repo>/specs` (vendored copies; see specs/SOURCES.md). */
export const SPECS_DIR = process.env.HANGAR_SPECS_DIR ?? fileURLToPath(new URL('../../specs/', import.meta.url));

const FILES: Record<SpecVendor, string> = {
  hetzner: 'hetzner-cloud.openapi.json',
  digitalocean: 'digitalocean.openapi.yaml',
  tailscale: 'tailscale.openapi.json',
};

/** Base path each spec leaves out of its paths (stripped from paths given to the helpers). */
export const SPEC_BASE_PATHS: Record<SpecVendor, string> = { hetzner: '/v1', digitalocean: '', tailscale: '/api/v2' };

const specs = new Map<SpecVendor, Json>();

/** The parsed spec (cached; the DigitalOcean YAML is also cached as JSON under os.tmpdir()). */
export function loadSpec(vendor: SpecVendor): Json {
  const hit = specs.get(vendor);
  if (hit) return hit;
  const file = join(SPECS_DIR, FILES[vendor]);
  let doc: Json;
  if (file.endsWith('.yaml')) {
    const st = statSync(file);
    const key = createHash('sha256').update(`${file}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 16);
    const dir = join(tmpdir(), 'hangar-spec-cache');
    const cached = join(dir, `${vendor}-${key}.json`);
    if (existsSync(cached)) doc = JSON.parse(readFileSync(cached, 'utf8')) as Json;
    else {
      doc = parseYaml(readFileSync(file, 'utf8'), { maxAliasCount: -1 }) as Json;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${cached}.${process.pid}`, JSON.stringify(doc));
        // Atomic publish so a concurrent reader never sees half a file.
        writeFileSync(cached, readFileSync(`${cached}.${process.pid}`));
      } catch {
        /* cache is best effort */
      }
    }
  } else doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
  specs.set(vendor, doc);
  return doc;
}

function pointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`external $ref not supported: ${ref}`);
  let o: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const k = decodeURIComponent(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
    o = (o as Json)[k];
    if (o === undefined) throw new Error(`unresolvable $ref ${ref}`);
  }
  return o;
}

/**
 * Inline every `$ref` (shared targets stay shared objects; a cycle becomes `{}`), and for
 * OpenAPI 3.0 rewrite `nullable: true` into JSON Schema.
 */
function resolveSchema(doc: Json, schema: unknown, openapi30: boolean): unknown {
  const memo = new Map<string, unknown>();
  const active = new Set<string>();
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const obj = node as Json;
    if (typeof obj.$ref === 'string') {
      const ref = obj.$ref;
      if (memo.has(ref)) return memo.get(ref);
      if (active.has(ref)) return {};
      active.add(ref);
      const out = walk(pointer(doc, ref));
      active.delete(ref);
      memo.set(ref, out);
      return out;
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(obj)) {
      if (DROP.has(k) || k.startsWith('x-')) continue;
      if (k === 'enum' || k === 'default' || k === 'const') {
        out[k] = v;
        continue;
      }
      out[k] = k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions' ? mapValues(v, walk) : walk(v);
    }
    return openapi30 ? nullable(out) : out;
  };
  return walk(schema);
}

/** Annotations ajv need not see (and `discriminator`, which it would want configured). */
const DROP = new Set(['example', 'examples', 'discriminator', 'xml', 'externalDocs']);

function mapValues(v: unknown, f: (x: unknown) => unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v as Json).map(([k, x]) => [k, f(x)]));
}

/** OpenAPI 3.0 `nullable` → JSON Schema. */
function nullable(s: Json): Json {
  if (s.nullable !== true) {
    if ('nullable' in s) delete s.nullable;
    return s;
  }
  delete s.nullable;
  if (typeof s.type === 'string') {
    s.type = [s.type, 'null'];
    if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
    return s;
  }
  return { anyOf: [{ type: 'null' }, s] };
}

function operation(vendor: SpecVendor, method: string, path: string): Json {
  const doc = loadSpec(vendor);
  const base = SPEC_BASE_PATHS[vendor];
  const p = base && path.startsWith(base + '/') ? path.slice(base.length) : path;
  const item = (doc.paths as Json)[p] as Json | undefined;
  if (!item) throw new Error(`${vendor} spec has no path ${p}`);
  const op = item[method.toLowerCase()] as Json | undefined;
  if (!op) throw new Error(`${vendor} spec has no ${method.toUpperCase()} ${p}`);
  return op;
}

/**
 * The JSON Schema of a response body, for (method, path template, status). The path is the
 * spec's template, with or without the vendor's base path (`/v1/servers/{id}` or `/servers/{id}`).
 * Falls back from `404` to `4XX` and `default`. Returns null when the response has no JSON body.
 */
export function responseSchema(vendor: SpecVendor, method: string, path: string, status: number | string): Json | null {
  const doc = loadSpec(vendor);
  const op = operation(vendor, method, path);
  const responses = op.responses as Json;
  const s = String(status);
  const key = [s, `${s[0]}XX`, `${s[0]}xx`, 'default'].find((k) => k in responses);
  if (!key) throw new Error(`${vendor} ${method} ${path} documents no ${s} response (has ${Object.keys(responses).join(', ')})`);
  let resp = responses[key] as Json;
  while (typeof resp.$ref === 'string') resp = pointer(doc, resp.$ref) as Json;
  const content = resp.content as Json | undefined;
  const media = content && (Object.entries(content).find(([k]) => k.includes('json'))?.[1] as Json | undefined);
  if (!media?.schema) return null;
  return resolveSchema(doc, media.schema, vendor !== 'tailscale') as Json;
}

/** Headers a documented response declares (lower-cased names). */
export function responseHeaders(vendor: SpecVendor, method: string, path: string, status: number | string): string[] {
  const doc = loadSpec(vendor);
  let resp = (operation(vendor, method, path).responses as Json)[String(status)] as Json | undefined;
  if (!resp) return [];
  while (typeof resp.$ref === 'string') resp = pointer(doc, resp.$ref) as Json;
  return Object.keys((resp.headers as Json | undefined) ?? {}).map((h) => h.toLowerCase());
}

/** Every path template of a spec that matches a concrete path (`/servers/42` → `/servers/{id}`). */
export function matchPathTemplate(vendor: SpecVendor, concretePath: string): string | null {
  const base = SPEC_BASE_PATHS[vendor];
  const p = base && concretePath.startsWith(base + '/') ? concretePath.slice(base.length) : concretePath;
  const segs = p.split('?')[0].split('/').filter(Boolean);
  let best: { t: string; literal: number } | null = null;
  for (const t of Object.keys(loadSpec(vendor).paths as Json)) {
    const ts = t.split('/').filter(Boolean);
    if (ts.length !== segs.length) continue;
    let literal = 0;
    const ok = ts.every((x, i) => (x.startsWith('{') ? true : x === segs[i] && ++literal > 0));
    if (ok && (!best || literal > best.literal)) best = { t, literal };
  }
  return best?.t ?? null;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;
let ajv30: Ajv | null = null;
let ajv31: Ajv2020 | null = null;

function configure<T extends Ajv | Ajv2020>(a: T): T {
  addFormats(a);
  a.addFormat('decimal', /^-?\d+(\.\d+)?$/);
  for (const f of ['uint32', 'uint64']) a.addFormat(f, { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  for (const f of ['rfc5424', 'rfc3164', 'cidr', 'string', 'xfs', 'url']) a.addFormat(f, true);
  return a;
}

function ajvFor(vendor: SpecVendor): Ajv | Ajv2020 {
  if (vendor === 'tailscale') return (ajv31 ??= configure(new Ajv2020({ strict: false, allErrors: true, logger: false, unicodeRegExp: false })));
  return (ajv30 ??= configure(new Ajv({ strict: false, allErrors: true, logger: false, unicodeRegExp: false })));
}

const validators = new Map<string, ValidateFunction | null>();

/** A compiled validator for one response (cached); null when the response has no JSON body. */
export function responseValidator(vendor: SpecVendor, method: string, path: string, status: number | string): ValidateFunction | null {
  const key = `${vendor} ${method.toUpperCase()} ${path} ${status}`;
  if (validators.has(key)) return validators.get(key)!;
  const schema = responseSchema(vendor, method, path, status);
  const v = schema ? ajvFor(vendor).compile(schema) : null;
  validators.set(key, v);
  return v;
}

export interface ValidationResult {
  valid: boolean;
  /** Readable errors, `instancePath message` (empty when valid). */
  errors: string[];
  raw: ErrorObject[];
}

/**
 * Validate a response body against the spec. A response without a documented JSON body is
 * valid only when `body` is empty (undefined, null or '').
 */
export function validateResponse(vendor: SpecVendor, method: string, path: string, status: number | string, body: unknown): ValidationResult {
  const v = responseValidator(vendor, method, path, status);
  if (!v) {
    const empty = body === undefined || body === null || body === '';
    return { valid: empty, errors: empty ? [] : ['expected no body'], raw: [] };
  }
  const valid = v(body) as boolean;
  const raw = v.errors ?? [];
  return { valid, errors: raw.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ' ' + JSON.stringify(e.params) : ''}`), raw };
}
