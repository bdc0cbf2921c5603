/**
 * Hetzner Cloud label selectors: `k=v` (or `k==v`), `k!=v`, `k` (present), `!k` (absent),
 * `k in (a,b)`, `k notin (a,b)`, joined by commas meaning AND.
 *
 * @example
 * matchesSelector(parseLabelSelector('env=prod,!draining'), { env: 'prod' }) // → true
 */
export type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'exists' | 'absent'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

export class SelectorError extends Error {}

/** Split on commas outside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new SelectorError(`unbalanced ")" in label selector "${s}"`);
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw new SelectorError(`unbalanced "(" in label selector "${s}"`);
  out.push(cur);
  return out;
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-_.a-z0-9A-Z]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-_.a-z0-9A-Z]*[a-z0-9A-Z])?)?$/;

export function parseLabelSelector(selector: string): Requirement[] {
  if (!selector.trim()) return [];
  return splitTop(selector).map((part) => {
    const p = part.trim();
    if (!p) throw new SelectorError(`empty requirement in label selector "${selector}"`);
    let m: RegExpExecArray | null;
    if ((m = /^!\s*(\S+)$/.exec(p))) return check({ op: 'absent', key: m[1] });
    if ((m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p)))
      return check({ op: m[2] as 'in' | 'notin', key: m[1], values: m[3].split(',').map((v) => v.trim()) });
    if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(p))) return check({ op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] });
    if ((m = /^([^\s=!(),]+)$/.exec(p))) return check({ op: 'exists', key: m[1] });
    throw new SelectorError(`invalid requirement "${p}" in label selector`);
  });
}

function check(r: Requirement): Requirement {
  if (!KEY.test(r.key)) throw new SelectorError(`invalid label key "${r.key}"`);
  const values = r.op === 'eq' || r.op === 'neq' ? [r.value] : r.op === 'in' || r.op === 'notin' ? r.values : [];
  for (const v of values) if (!VALUE.test(v) || v.length > 63) throw new SelectorError(`invalid label value "${v}"`);
  return r;
}

export function matchesSelector(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'eq':
        return has && labels[r.key] === r.value;
      case 'neq':
        return !has || labels[r.key] !== r.value;
      case 'exists':
        return has;
      case 'absent':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key]);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]);
    }
  });
}

/** Validate labels as Hetzner does; returns an error message or null. */
export function invalidLabels(labels: unknown): string | null {
  if (labels === undefined) return null;
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) return 'labels must be an object';
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    const name = k.includes('/') ? k.slice(k.indexOf('/') + 1) : k;
    const prefix = k.includes('/') ? k.slice(0, k.indexOf('/')) : '';
    if (!KEY.test(k) || name.length > 63 || prefix.length > 253) return `invalid label key "${k}"`;
    if (typeof v !== 'string' || !VALUE.test(v) || v.length > 63) return `invalid label value "${String(v)}" for key "${k}"`;
  }
  return null;
}
