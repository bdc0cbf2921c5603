/** Label keys Hangar puts on every resource it creates (Hetzner labels). */
export const LABEL_INSTALLATION = 'hangar.dev/installation';
export const LABEL_INSTANCE = 'hangar.dev/instance';
export const LABEL_BOOTSTRAP_VERSION = 'hangar.dev/bootstrap-version';
export const LABEL_ROLE = 'hangar.dev/role';
/** The project (tenant) an instance's server belongs to (a DNS label: a valid label value and tag). */
export const LABEL_PROJECT = 'hangar.dev/project';

/**
 * Turn free text into a DNS-safe slug: lower-case letters, digits and single dashes.
 *
 * @example
 * slugify('Acme Corp!') // → 'acme-corp'
 */
export function slugify(text: string, max = 30): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return s || 'agent';
}

/**
 * Deterministic server name `hangar-<slug>-<short id>`: the same instance always maps to the
 * same name, so a retried create collides (Hetzner `uniqueness_error`) instead of duplicating.
 *
 * @example
 * serverName('11111111-2222-…', 'Acme') // → 'hangar-acme-11111111'
 */
export function serverName(instanceId: string, name: string): string {
  return `hangar-${slugify(name)}-${instanceId.replace(/-/g, '').slice(0, 8)}`;
}

/**
 * The display name of an instance created without one: its workload and the first 8 hex of its
 * id, the same short id its server name ends with (`serverName(id, workload)` is
 * `hangar-<this>`), so the two are easy to match up.
 *
 * @example
 * defaultInstanceName('process', '5aa2f4bc-…') // → 'process-5aa2f4bc'
 */
export function defaultInstanceName(workload: string, instanceId: string): string {
  return `${workload}-${instanceId.replace(/-/g, '').slice(0, 8)}`;
}

/**
 * Ownership labels for an instance's server (values are UUIDs or a project's DNS label: ≤ 63 chars).
 *
 * @example
 * instanceLabels('9f0e…', '5aa2…', 'team-a') // → { 'hangar.dev/installation': '9f0e…', 'hangar.dev/instance': '5aa2…', 'hangar.dev/project': 'team-a' }
 */
export function instanceLabels(installationId: string, instanceId: string, project?: string): Record<string, string> {
  return { [LABEL_INSTALLATION]: installationId, [LABEL_INSTANCE]: instanceId, ...(project ? { [LABEL_PROJECT]: project } : {}) };
}

/** Hetzner-style label selector, e.g. `a=b,c=d`. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A label key as the head of a DigitalOcean tag: `hangar.dev/instance` → `hangar-instance`. */
const tagKey = (key: string) => key.replace(/^hangar\.dev\//, 'hangar-').replace(/[^A-Za-z0-9_-]/g, '-');
const TAG_SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * DigitalOcean tags for labels. DO tags allow letters, digits, `:`, `-`, `_` only, so
 * `hangar.dev/instance=<id>` becomes `hangar-instance-<id>`; a value with any other character
 * (a bootstrap version `2026.11.3`) is written `hangar-bootstrap-version:2026:2e11:2e3`, each
 * such character as `:` and its two hex digits, so it reads back exactly (see {@link tagsToLabels}).
 *
 * @example
 * labelsToTags({ 'hangar.dev/instance': 'abc' })        // → ['hangar-instance-abc']
 * labelsToTags({ 'hangar.dev/bootstrap-version': '1.2' }) // → ['hangar-bootstrap-version:1:2e2']
 */
export function labelsToTags(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) =>
    TAG_SAFE.test(v) ? `${tagKey(k)}-${v}` : `${tagKey(k)}:${[...Buffer.from(v, 'utf8')].map((b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `:${b.toString(16).padStart(2, '0')}`)).join('')}`,
  );
}

/** Inverse of {@link labelsToTags} for the keys Hangar knows (both spellings). */
export function tagsToLabels(tags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const known = [LABEL_INSTALLATION, LABEL_INSTANCE, LABEL_ROLE, LABEL_BOOTSTRAP_VERSION, LABEL_PROJECT];
  for (const tag of tags) {
    for (const key of known) {
      const head = tagKey(key);
      if (tag.startsWith(`${head}:`)) {
        const bytes: number[] = [];
        const body = tag.slice(head.length + 1);
        for (let i = 0; i < body.length; i++) {
          if (body[i] === ':') bytes.push(parseInt(body.slice(i + 1, i + 3), 16)), (i += 2);
          else bytes.push(body.charCodeAt(i));
        }
        out[key] = Buffer.from(bytes).toString('utf8');
      } else if (tag.startsWith(`${head}-`)) out[key] = tag.slice(head.length + 1);
    }
  }
  return out;
}
