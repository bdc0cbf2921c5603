import { ValidationError } from '../domain/errors.ts';
import { composeArgv, parseCompose, publicPorts, type ComposeStack } from './compose.ts';
import { renderEnvFile } from './env-file.ts';
import type { SettingsSchema } from './settings-schema.ts';
import type { WorkloadInput, WorkloadPlan } from './types.ts';
import { RE_STACK_NAME, reservedStackName, SettingsReader, envNameOf } from './workload-config.ts';

/**
 * The `compose` workload: a user-supplied compose file, validated against the compose-spec
 * schema before anything is rendered, written verbatim to `/opt/<project>/docker-compose.yml`
 * (0600) and run with `docker compose up --wait`.
 *
 * Settings (`config`):
 * - `compose` (required): the compose file, as YAML text
 * - `project`: compose project name and directory under /opt (default `app`)
 * - `healthServices`: services that must be running (and healthy, when they have a healthcheck)
 *   for the workload to count as healthy (default: all of them)
 * - `allowPublicPorts`: accept ports published on every interface. Docker's published ports
 *   bypass UFW, so by default only `127.0.0.1:`/`[::1]:` publications are accepted.
 * - `servePort` + `serveTarget`: publish `http://127.0.0.1:<serveTarget>` on the tailnet over
 *   HTTPS `servePort` (443, 8443 or 10000) with `tailscale serve`
 * - any other setting (`databasePassword`, …) is a secret that goes to `/opt/<project>/.env`
 *   (0600) as `DATABASE_PASSWORD`, …, which compose reads for `${…}` interpolation
 */

/**
 * The compose settings. The compose file itself is sealed whole: users inline passwords in it
 * (`POSTGRES_PASSWORD: …`), and it is written 0600 on the server. Unknown string settings are
 * secret env values for interpolation.
 */
export const COMPOSE_SETTINGS: SettingsSchema = {
  kind: 'compose',
  fields: {
    compose: { type: 'text', secret: true },
    project: { type: 'string' },
    healthServices: { type: 'list' },
    allowPublicPorts: { type: 'boolean' },
    servePort: { type: 'int' },
    serveTarget: { type: 'int' },
  },
  extra: 'env',
};

/**
 * Render the compose plan. Throws ValidationError naming `config.compose` when the file is not
 * valid compose, and `config.<field>` for other bad settings.
 *
 * @example
 * renderComposeWorkload({ …row, workloadConfig: { compose: 'services:\n  web:\n    image: nginx\n' } }, {}).health
 * // → { type: 'compose', file: '/opt/app/docker-compose.yml', project: 'app', services: ['web'] }
 */
export function renderComposeWorkload(input: WorkloadInput, secrets: Record<string, string>): WorkloadPlan {
  const r = new SettingsReader('compose', input.workloadConfig, secrets);
  const text = r.raw('compose');
  let doc: ReturnType<typeof parseCompose> | undefined;
  if (typeof text !== 'string' || !text.trim()) r.error('compose', 'is required: the compose file as YAML text');
  else {
    try {
      doc = parseCompose(text, r.field('compose'));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      r.errors.push(...(err.errors ?? [{ field: r.field('compose'), message: err.message }]));
    }
  }
  const project = r.string('project', { default: 'app', pattern: RE_STACK_NAME, hint: 'must be 2-40 lower-case letters, digits and dashes, starting with a letter' });
  if (reservedStackName(project)) r.error('project', `${project} is reserved: it is the name of a system unit or of Hangar's own`);
  const allowPublic = r.bool('allowPublicPorts', false);
  const services = doc ? Object.keys(doc.services) : [];
  const healthServices = r.stringList('healthServices', { max: 100 }) ?? services;
  for (const s of healthServices) if (doc && !services.includes(s)) r.error('healthServices', `${s} is not a service of config.compose`);
  if (doc && !allowPublic) {
    const open = publicPorts(doc);
    if (open.length) r.error('compose', `publishes ports on every interface (${open.join(', ')}); Docker bypasses the firewall, so bind them to 127.0.0.1 or set allowPublicPorts`);
  }
  const servePort = r.has('servePort') ? r.int('servePort', { default: 443, min: 1, max: 65535 }) : undefined;
  if (servePort !== undefined && ![443, 8443, 10000].includes(servePort)) r.error('servePort', 'must be 443, 8443 or 10000 (the HTTPS ports tailscale serve offers)');
  const serveTarget = r.has('serveTarget') ? r.int('serveTarget', { default: 80, min: 1, max: 65535 }) : undefined;
  if ((servePort === undefined) !== (serveTarget === undefined)) r.error(servePort === undefined ? 'servePort' : 'serveTarget', 'servePort and serveTarget go together');
  const env: [string, string, string][] = [];
  for (const s of r.unreadSecrets()) {
    const value = r.string(s, { max: 8192 });
    if (value !== undefined) env.push([envNameOf(s), value, r.field(s)]);
  }
  r.finish();

  const dir = `/opt/${project}`;
  const stack: ComposeStack = { project, dir, file: `${dir}/docker-compose.yml` };
  const dc = composeArgv(stack);
  const serve =
    input.tailscale && servePort !== undefined
      ? { start: [['tailscale', 'serve', '--bg', `--https=${servePort}`, `http://127.0.0.1:${serveTarget}`]], stop: [['tailscale', 'serve', `--https=${servePort}`, 'off']] }
      : { start: [], stop: [] };
  return {
    kind: 'compose',
    files: [
      { path: stack.file, content: (text as string).endsWith('\n') ? (text as string) : `${text as string}\n`, mode: '0600', owner: 'root:root' },
      { path: `${dir}/.env`, content: renderEnvFile(env, 'Managed by Hangar: secrets for ${…} interpolation in docker-compose.yml.'), mode: '0600', owner: 'root:root' },
    ],
    start: [[...dc, 'up', '--detach', '--remove-orphans', '--wait', '--wait-timeout', '600'], ...serve.start],
    stop: [...serve.stop, [...dc, 'down']],
    health: { type: 'compose', file: stack.file, project, services: healthServices },
    smoke: [...dc, 'ps', '--status', 'running'],
  };
}
