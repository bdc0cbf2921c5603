import { z } from 'zod';

/**
 * Text PostgreSQL can store: `text` and `jsonb` refuse U+0000 (NUL), and `jsonb` refuses an
 * unpaired surrogate (`"\ud800"`), which JSON.parse lets through. With the `u` flag a surrogate
 * class matches only unpaired halves, so emoji and every other real character pass.
 */
export const STORABLE_TEXT = /^[^\u0000\uD800-\uDFFF]*$/u;
export const STORABLE_MESSAGE = 'must not contain NUL bytes or unpaired surrogates';

/** The deepest nesting accepted in free-form JSON (workload settings): deeper breaks JSON.stringify's stack. */
export const MAX_JSON_DEPTH = 32;

/**
 * A string schema that refuses what the database cannot store (NUL bytes, unpaired surrogates),
 * documented in the OpenAPI document as a `pattern`.
 *
 * @example
 * storableText(z.string().max(64)).safeParse('a\u0000b').success // → false: "must not contain NUL bytes or unpaired surrogates"
 */
export const storableText = (s: z.ZodString = z.string()): z.ZodString => s.regex(STORABLE_TEXT, STORABLE_MESSAGE);

/**
 * Why free-form JSON cannot be stored: the path of the first string or key holding a NUL byte or
 * an unpaired surrogate, or of nesting deeper than `maxDepth`; null when it is fine. Iterative.
 *
 * @example
 * jsonProblem({ a: ['ok', 'b\u0000'] }) // → { path: ['a', 1], message: 'must not contain NUL bytes or unpaired surrogates' }
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): { path: (string | number)[]; message: string } | null {
  const todo: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const { v, path } = next;
    if (typeof v === 'string') {
      if (!STORABLE_TEXT.test(v)) return { path, message: STORABLE_MESSAGE };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= maxDepth) return { path, message: `must not be nested deeper than ${maxDepth} levels` };
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, x] of entries) {
      if (typeof k === 'string' && !STORABLE_TEXT.test(k)) return { path: [...path, k.replace(/[^\x20-\x7e]/g, '?')], message: `keys ${STORABLE_MESSAGE}` };
      todo.push({ v: x, path: [...path, k] });
    }
  }
  return null;
}

/**
 * A schema for free-form JSON the database will store (jsonb): refuses NUL bytes and unpaired
 * surrogates in any string or key, and nesting deeper than {@link MAX_JSON_DEPTH}, naming the path.
 *
 * @example
 * storableJson(z.record(z.string(), z.unknown())).safeParse({ a: 'x\u0000' }).success // → false
 */
export const storableJson = <T extends z.ZodType>(s: T): T =>
  s.superRefine((v, ctx) => {
    const p = jsonProblem(v);
    if (p) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  }) as unknown as T;
