import fc from 'fast-check';

/**
 * Values for the API fuzz test, generated from the JSON Schemas of `/openapi.json`: values the
 * schema accepts, values on its boundaries, and values nobody should send.
 */
export type Json = Record<string, any>;
export type Components = Record<string, Json>;

/** A schema with its `$ref` followed (components only). */
export function resolve(components: Components, s: Json | undefined): Json {
  let cur = s ?? {};
  for (let i = 0; cur.$ref && i < 10; i++) cur = components[String(cur.$ref).split('/').pop()!] ?? {};
  return cur;
}

/** The schema's patterns: its own and those of an `allOf` (zod writes a second `.regex()` there). */
const patternsOf = (s: Json): RegExp[] => [s.pattern, ...((s.allOf ?? []) as Json[]).map((x) => x.pattern)].filter((p): p is string => typeof p === 'string').map((p) => new RegExp(p, 'u'));
/** The pattern of `storableText` (no NUL, no unpaired surrogate): it says what not to generate, not what to. */
const STORABLE_SOURCE = '^[^\\u0000\\uD800-\\uDFFF]*$';

function stringOf(s: Json): fc.Arbitrary<string> {
  if (s.format === 'uuid') return fc.uuid();
  if (s.contentEncoding === 'base64') return fc.base64String({ maxLength: 64 });
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? 24, 48));
  const patterns = patternsOf(s);
  const fits = (v: string) => v.length >= min && v.length <= (s.maxLength ?? Infinity) && patterns.every((p) => p.test(v));
  const specific = patterns.find((p) => p.source !== STORABLE_SOURCE);
  const base = specific ? fc.stringMatching(specific) : fc.string({ minLength: min, maxLength: max });
  // An unsatisfiable mix would spin: fall back to the shortest accepted form fast-check finds.
  return base.filter(fits);
}

/**
 * Values the schema accepts (bounded in size: at most 48 characters, 4 items, depth 3).
 *
 * @example
 * fc.sample(validOf(components, { type: 'integer', minimum: 1, maximum: 5 }), 3) // → [1, 5, 3]
 */
export function validOf(components: Components, schema: Json | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(components, schema);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if ('const' in s) return fc.constant(s.const);
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alts?.length) return fc.oneof(...alts.map((a) => validOf(components, a, depth)));
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((t) => validOf(components, { ...s, type: t }, depth)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = Math.max(s.minimum ?? (s.maximum !== undefined ? s.maximum - 1000 : -1000), Number.MIN_SAFE_INTEGER);
      return fc.integer({ min, max: Math.min(s.maximum ?? min + 2000, Number.MAX_SAFE_INTEGER) });
    }
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'string':
      return stringOf(s);
    case 'array': {
      const minLength = s.minItems ?? 0;
      return fc.array(validOf(components, s.items, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(s.maxItems ?? 4, 4)) });
    }
    case 'object': {
      const props = Object.entries((s.properties ?? {}) as Json);
      if (props.length) return fc.record(Object.fromEntries(props.map(([k, p]) => [k, validOf(components, p, depth + 1)])), { requiredKeys: (s.required ?? []) as string[] });
      if (s.additionalProperties === false) return fc.constant({});
      return fc.dictionary(fc.string({ maxLength: 12 }), depth > 2 ? fc.string({ maxLength: 12 }) : fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Just inside and just outside the schema's limits: lengths, ranges, item counts, near-misses of enums. */
export function edgeOf(components: Components, schema: Json | undefined): fc.Arbitrary<unknown> {
  const s = resolve(components, schema);
  const out: unknown[] = [];
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (Array.isArray(s.enum)) for (const e of s.enum) out.push(String(e).toUpperCase(), ` ${String(e)}`, `${String(e)}\u0000`, String(e).slice(0, -1));
  if (types.includes('string') || s.enum) {
    const min = s.minLength ?? 0;
    out.push('', ' ', 'a'.repeat(Math.max(min - 1, 0)), 'a'.repeat(min || 1));
    if (s.maxLength !== undefined) out.push('a'.repeat(s.maxLength), 'a'.repeat(s.maxLength + 1), '\u00e9'.repeat(s.maxLength + 1));
  }
  if (types.includes('integer') || types.includes('number')) {
    for (const b of [s.minimum, s.maximum]) if (typeof b === 'number') out.push(b, b - 1, b + 1, b + 0.5);
    out.push(0, -1, -0, 1.5, 1e20, -1e20, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 'NaN', 'Infinity', '1e20', '0x10', ' 7', '7 ', '');
  }
  if (types.includes('array')) {
    out.push([], [null], [[]]);
    if (s.maxItems !== undefined) out.push(Array.from({ length: s.maxItems + 1 }, () => 'a'));
  }
  if (types.includes('boolean')) out.push('true', 'false', 0, 1, 'yes');
  if (s.format === 'uuid') out.push(...UUID_NEAR_MISSES);
  const derived: fc.Arbitrary<unknown>[] = [];
  // A value the schema would take but for one NUL byte or unpaired surrogate: PostgreSQL cannot store either.
  if (types.includes('string')) derived.push(fc.tuple(validOf(components, s), fc.nat(), fc.constantFrom('\u0000', '\ud800', '\udfff')).map(([v, at, c]) => insertAt(String(v), at, c)));
  if (!out.length && !derived.length) return nasty;
  return fc.oneof(...(out.length ? [fc.constantFrom(...out)] : []), ...derived);
}

/** Ids that look like UUIDs to a lax check and are not. */
export const UUID_NEAR_MISSES = ['------------------------------------', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '5aa2f4bc-0000-4000-8000-00000000000', '5aa2f4bc-0000-4000-8000-0000000000000', '5aa2f4bc00004000800000000000000000000', '{5aa2f4bc-0000-4000-8000-000000000000}', '5aa2f4bc-0000-4000-8000-000000000000\n', ' 5aa2f4bc-0000-4000-8000-000000000000'];

/** `v` with `c` inserted (at `at` modulo its length). */
export const insertAt = (v: string, at: number, c: string): string => {
  const i = at % (v.length + 1);
  return `${v.slice(0, i)}${c}${v.slice(i)}`;
};

/**
 * A value the schema accepts but for one place: in an object one property bent (recursively),
 * dropped, or an unknown one added; in an array one item bent; elsewhere a boundary or nasty value.
 *
 * @example
 * fc.sample(bentOf(components, execBodySchema), 1) // → [{ argv: ['ls', 'a\u0000b'] }]
 */
export function bentOf(components: Components, schema: Json | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(components, schema);
  const leaf = fc.oneof({ weight: 3, arbitrary: edgeOf(components, s) }, { weight: 2, arbitrary: nasty });
  const props = Object.entries((s.properties ?? {}) as Json);
  if (depth < 3 && props.length) {
    return fc.tuple(validOf(components, s), fc.constantFrom(...props), fc.nat(9), fc.string({ maxLength: 8 }), nasty).chain(([base, [name, ps], how, extraKey, junk]) => {
      const obj = { ...(base as Json) };
      if (how === 0) delete obj[name];
      if (how === 1) obj[extraKey || '__proto__'] = junk;
      if (how <= 1) return fc.constant(obj);
      return bentOf(components, ps, depth + 1).map((v) => ({ ...obj, [name]: v }));
    });
  }
  if (depth < 3 && s.type === 'array' && s.items) {
    return fc.oneof(leaf, fc.tuple(fc.array(validOf(components, s.items), { maxLength: 3 }), bentOf(components, s.items, depth + 1), fc.nat()).map(([xs, bent, at]) => [...xs.slice(0, at % (xs.length + 1)), bent, ...xs.slice(at % (xs.length + 1))]));
  }
  return leaf;
}

/**
 * Near-misses of an opaque token the API handed out (a cursor): its base64url text with each
 * `|`, `:` or `,`-separated part replaced by something hostile, re-encoded; and the token cut or bent.
 *
 * @example
 * opaqueMutations(Buffer.from('2024-01-01T00:00:00Z|5aa2…').toString('base64url')) // includes base64url('2024-01-01T00:00:00Z|nope')
 */
export function opaqueMutations(token: string): string[] {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const parts = text.split(/([|:,])/);
  const hostile = ['nope', '', '\u0000', 'x'.repeat(300), '../..', '1e20', '-1', '0000-01-01T00:00:00Z', '275760-09-13T00:00:00Z', ...UUID_NEAR_MISSES.slice(0, 3)];
  const out = [token.slice(0, -1), `${token}A`, token.toUpperCase(), `${token}==`, Buffer.from(`${text}|x`).toString('base64url')];
  parts.forEach((p, i) => {
    if (/^[|:,]$/.test(p)) return;
    for (const h of hostile) out.push(Buffer.from(parts.map((q, j) => (j === i ? h : q)).join('')).toString('base64url'));
  });
  return out;
}

/** JSON text whose `__proto__` key is an own property, as a hostile client sends it. */
const polluted = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown;

/** Values no schema wants: wrong types, NUL bytes, lone surrogates, traversal, injections, prototype keys, huge sizes. */
export const nasty: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(
    null, true, false, 0, -1, 1e20, -1e20, 1.5, [], {}, [null], polluted,
    '', ' ', '\u0000', 'a\u0000b', '\u0000'.repeat(8), '../../../../etc/passwd', '..', '..%2f..%2f', '%00', '%',
    '\ud800', '\udfff\ud800', '\u{1F600}'.repeat(8), 'e\u0301\u202e\u200b', '\uFEFF', '<script>alert(1)</script>', "' OR '1'='1' --", '${jndi:ldap://x}', '{{7*7}}',
    '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'NaN', 'Infinity', '-Infinity', '1e20', '1.5', '-1', '-0', '0x1f', '9'.repeat(30),
    '------------------------------------', '00000000-0000-0000-0000-000000000000', 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ', 'xyz', 'nope',
    'x'.repeat(300), 'x'.repeat(10_000), '\u00e9'.repeat(3000),
  ) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.nat(), fc.constantFrom('\u0000', '\ud800', '\udc00')).map(([v, at, c]) => insertAt(v, at, c)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** One of: a valid value (most often), a boundary, a nasty one. */
export const anyOf = (components: Components, schema: Json | undefined): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: validOf(components, schema) }, { weight: 2, arbitrary: edgeOf(components, schema) }, { weight: 2, arbitrary: nasty });

/** A value as it goes in a path, query string or header: strings as they are, the rest as JSON. */
export const asText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/**
 * Percent-encode text for a URL as a client would (UTF-8 bytes; a lone surrogate becomes U+FFFD),
 * or pass a raw escape through (`%`, `%ZZ`, `%ED%A0%80`: broken encodings are worth sending too).
 */
export function urlEncode(v: string): string {
  if (/^(%|%ZZ|%ED%A0%80|%C0%AE%C0%AE|%u0041|%2e%2e%2f)$/i.test(v)) return v;
  return [...Buffer.from(v, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}
/** Raw escapes for paths and query strings. */
export const rawEscapes = fc.constantFrom('%', '%ZZ', '%ED%A0%80', '%C0%AE%C0%AE', '%u0041', '%2e%2e%2f');

/** A header value a client can put on the wire: UTF-8 bytes as latin1, no control characters but tab. */
export const headerText = (v: string): string => Buffer.from(v, 'utf8').toString('latin1').replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');

/** JSON nested `depth` levels deep, inside an otherwise plausible object. */
export const deeplyNested = (depth: number): string => `{"provider":"local","config":{"a":${'['.repeat(depth)}1${']'.repeat(depth)}}}`;
