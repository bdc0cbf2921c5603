import { Ajv, type ValidateFunction } from 'ajv';
import { parseDocument, stringify } from 'yaml';
import { ValidationError } from '../domain/errors.ts';
import { ipVersion } from './ip.ts';
// The compose-spec JSON schema (the 2019-09 draft edition with `id` keys), vendored unmodified;
// the tool-judging tests validate every rendered compose file against this same file.
import composeSpec from './compose-spec.json' with { type: 'json' };

/**
 * Docker Compose helpers: the `docker compose` argv for a stack, YAML rendering, and validation
 * of compose documents against the compose-spec JSON schema.
 */

export interface ComposeStack {
  /** Project name (`--project-name`). */
  project: string;
  /** Project directory, e.g. `/opt/agent-manager`. */
  dir: string;
  /** Compose file, e.g. `/opt/agent-manager/docker-compose.yml`. */
  file: string;
  /** `--env-file` for interpolation, when the stack keeps its env outside `<dir>/.env`. */
  envFile?: string;
}

/**
 * argv prefix of `docker compose` for a stack; `docker` may be given as an absolute path (units
 * need one).
 *
 * @example
 * composeArgv({ project: 'app', dir: '/opt/app', file: '/opt/app/docker-compose.yml' })
 * // → ['docker', 'compose', '--project-name', 'app', '--project-directory', '/opt/app', '--file', '/opt/app/docker-compose.yml']
 */
export function composeArgv(stack: ComposeStack, docker = 'docker'): string[] {
  return [docker, 'compose', '--project-name', stack.project, '--project-directory', stack.dir, '--file', stack.file, ...(stack.envFile ? ['--env-file', stack.envFile] : [])];
}

/**
 * Escape a literal value for a compose file: compose interpolates `$`, `$$` is a literal dollar.
 *
 * @example
 * composeLiteral('a$b') // → 'a$$b'
 */
export function composeLiteral(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

/** Serialise a compose document (YAML 1.1 quoting, so no reader takes `on` or `0600` for non-strings). */
export function renderComposeYaml(comment: string, doc: Record<string, unknown>): string {
  return `# ${comment}\n${stringify(doc, { version: '1.1', lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })}`;
}

// compose-go's own formats (the spec's `duration`, `ports`, `expose`, `subnet_ip_address`), not
// the JSON-schema ones: `duration` is a Go duration such as `5s` or `1m30s`, not ISO 8601.
// Values still holding `${…}` are accepted: compose validates after interpolation.
const interpolated = (s: string) => s.includes('${') || /\$[A-Za-z_]/.test(s);
const FORMATS: Record<string, (s: string) => boolean> = {
  duration: (s) => interpolated(s) || /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/.test(s),
  ports: (s) =>
    interpolated(s) ||
    /^(((\d{1,3}(\.\d{1,3}){3})|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*::[0-9A-Fa-f:.]*):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(s),
  expose: (s) => interpolated(s) || /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(s),
  subnet_ip_address: (s) => {
    if (interpolated(s)) return true;
    const [ip, prefix, extra] = s.split('/');
    if (extra !== undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
    const v = ipVersion(ip ?? '');
    return v !== 0 && Number(prefix) <= (v === 4 ? 32 : 128);
  },
};

let validator: ValidateFunction | undefined;

/** The largest compose file accepted (a real one is a few KiB). */
export const MAX_COMPOSE_CHARS = 128 * 1024;

/** The compiled compose-spec validator (compiled on first use, then shared). */
function composeValidator(): ValidateFunction {
  if (validator) return validator;
  // The compose specification's own schema (draft-07), vendored from compose-spec/compose-spec.
  const { $schema: _ignored, ...spec } = composeSpec as Record<string, unknown>;
  // The current schema types healthcheck durations as plain strings; compose itself refuses
  // `90 seconds` when it loads the file, so Hangar checks them as compose does, before a server.
  const definitions = spec.definitions as Record<string, { properties: Record<string, object> }>;
  const health = definitions.healthcheck.properties;
  const durations = Object.fromEntries(['interval', 'timeout', 'start_period', 'start_interval'].map((k) => [k, { ...health[k], format: 'duration' }]));
  const schema = { ...spec, definitions: { ...definitions, healthcheck: { ...definitions.healthcheck, properties: { ...health, ...durations } } } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate });
  validator = ajv.compile(schema);
  return validator;
}

/**
 * Validate a parsed compose document against the compose-spec schema; returns readable errors
 * (`/services/web/ports/0 must match format "ports"`), empty when valid.
 *
 * @example
 * composeSpecErrors({ services: { web: { image: 'nginx' } } }) // → []
 */
export function composeSpecErrors(doc: unknown): string[] {
  const validate = composeValidator();
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
    return `${e.instancePath || '/'} ${e.message}${extra}`;
  });
}

/**
 * Parse user-supplied compose YAML and validate it with the compose-spec schema; every problem
 * becomes a ValidationError naming `field` (by default `config.compose`).
 *
 * @example
 * parseCompose('services:\n  web:\n    image: nginx\n').services // → { web: { image: 'nginx' } }
 */
export function parseCompose(text: string, field = 'config.compose'): { services: Record<string, Record<string, unknown>> } & Record<string, unknown> {
  const fail = (messages: string[]): never => {
    throw new ValidationError(`${field} is not a valid compose file: ${messages.slice(0, 5).join('; ')}`, messages.map((message) => ({ field, message })));
  };
  if (typeof text !== 'string' || !text.trim()) fail(['must be a non-empty compose YAML document']);
  if (text.length > MAX_COMPOSE_CHARS) fail([`must be at most ${MAX_COMPOSE_CHARS} characters`]);
  // Merge keys (`<<: *base`) as compose reads them; aliases bounded, so an alias bomb is refused.
  const parsed = parseDocument(text, { prettyErrors: false, uniqueKeys: true, merge: true });
  if (parsed.errors.length) fail(parsed.errors.map((e) => `YAML: ${e.message}`));
  let doc: unknown;
  try {
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (err) {
    fail([`YAML: ${(err as Error).message} (aliases may expand to at most 100 nodes)`]);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail(['must be a YAML mapping with a services key']);
  const errors = composeSpecErrors(doc);
  if (errors.length) fail(errors);
  const services = (doc as { services?: unknown }).services;
  if (!services || typeof services !== 'object' || !Object.keys(services).length) fail(['must define at least one service']);
  return doc as { services: Record<string, Record<string, unknown>> };
}

/**
 * Published ports that Docker would open on every interface. Docker's own iptables rules bypass
 * UFW, so on a tailnet-only server such a port would be public; only loopback binds are safe.
 *
 * @example
 * publicPorts({ services: { web: { ports: ['8080:80', '127.0.0.1:9000:9000'] } } }) // → ['web: 8080:80']
 */
export function publicPorts(doc: { services: Record<string, Record<string, unknown>> }): string[] {
  const out: string[] = [];
  for (const [name, svc] of Object.entries(doc.services)) {
    const ports = Array.isArray(svc?.ports) ? svc.ports : [];
    for (const p of ports) {
      let host: string | undefined;
      if (typeof p === 'string') host = /^(\[[^\]]+\]|\d{1,3}(?:\.\d{1,3}){3}):/.exec(p)?.[1]?.replace(/^\[|\]$/g, '');
      else if (p && typeof p === 'object') host = (p as { host_ip?: string }).host_ip;
      // Anything else (a number, `8080:80`, a bare `80`) binds every interface.
      if (host !== '127.0.0.1' && host !== '::1') out.push(`${name}: ${typeof p === 'object' ? JSON.stringify(p) : String(p)}`);
    }
  }
  return out;
}
