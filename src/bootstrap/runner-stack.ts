import { composeArgv, composeLiteral, renderComposeYaml, type ComposeStack } from './compose.ts';
import { renderEnvFile } from './env-file.ts';
import { renderSmokeScript, renderUpdateScript } from './runner-stack-scripts.ts';
import { urlUserinfo, withoutUserinfo, type SettingsSchema } from './settings-schema.ts';
import { renderStackUnits } from './systemd.ts';
import type { WorkloadFile, WorkloadInput, WorkloadPlan } from './types.ts';
import {
  RE_BRANCH,
  RE_IMAGE,
  RE_STACK_NAME,
  reservedStackName,
  SettingsReader,
  defaultRandomBytes,
  envNameOf,
  generateSecret,
  type RandomBytes,
} from './workload-config.ts';

/**
 * The `runner-stack` workload (seed 004, "ai-ops-runner"): a compose project in `/opt/<name>`
 * with postgres and redis on an internal network (no published ports), the api published on
 * 127.0.0.1 only (and on the tailnet over HTTPS with `tailscale serve`), and a worker; systemd
 * units for the stack, a review-gated self-update every 15 minutes and a daily smoke test
 * (06:00 UTC); secrets in `/etc/<name>/env` (0600).
 *
 * Settings (`config`):
 * - `name`: stack name (default `ai-ops-runner`): `/opt/<name>`, units `<name>*.service`
 * - `repositoryUrl`, `branch` (default `main`), `dockerfile` (default `Dockerfile`): build api and
 *   worker from this repository, checked out in `/opt/<name>/src`; the self-update deploys
 *   `origin/<branch>` only when its `docs/LAST_REVIEWED_SHA.txt` approves it (`reviewGate`, default
 *   true) and rolls back when `docker compose up` fails
 * - or `apiImage` (and `workerImage`, default the api image): prebuilt images; the self-update
 *   pulls newer ones
 * - `apiCommand`, `workerCommand`: argv overriding the images' commands
 * - `apiPort` (default 8000), `healthPath` (default `/health`): what the smoke test requests
 * - `environment` (secret, sealed whole): `NAME: value` pairs for api and worker; the compose
 *   file that carries them is written 0600
 * - `gitToken` (secret; `gitUsername` default `x-access-token`): read-only access to a private repo;
 *   or credentials in `repositoryUrl` (`https://user:token@host/…`, or `https://token@host/…`),
 *   which become the same two settings, so the URL in `stack.env` and `.git/config` has none
 * - `postgresPassword` (secret; generated when absent)
 * - any other setting (`openaiApiKey`, …) is a secret that goes to `/etc/<name>/env` as `OPENAI_API_KEY`, …
 */

/** The runner-stack settings: unknown string settings are secret env values for api and worker. */
export const RUNNER_STACK_SETTINGS: SettingsSchema = {
  kind: 'runner-stack',
  fields: {
    name: { type: 'string' },
    repositoryUrl: { type: 'url' },
    branch: { type: 'string' },
    dockerfile: { type: 'string' },
    reviewGate: { type: 'boolean' },
    apiImage: { type: 'string' },
    workerImage: { type: 'string' },
    apiCommand: { type: 'list' },
    workerCommand: { type: 'list' },
    apiPort: { type: 'int' },
    healthPath: { type: 'string' },
    postgresImage: { type: 'string' },
    redisImage: { type: 'string' },
    environment: { type: 'envMap', secret: true },
    gitUsername: { type: 'string' },
    gitToken: { type: 'string', secret: true },
    postgresPassword: { type: 'string', secret: true },
  },
  extra: 'env',
};

const DEFAULT_STACK_NAME = 'ai-ops-runner';
const DEFAULT_RUNNER_POSTGRES_IMAGE = 'postgres:16-alpine';
const DEFAULT_REDIS_IMAGE = 'redis:7-alpine';
const DB = 'runner';
const SERVICES = ['postgres', 'redis', 'api', 'worker'];
/** Env names the stack sets itself. */
const RESERVED_ENV = new Set(['DATABASE_URL', 'REDIS_URL', 'POSTGRES_PASSWORD', 'PATH', 'HOME', 'GIT_TOKEN', 'GIT_USERNAME']);

/** Paths of one stack. */
function stackPaths(name: string) {
  const dir = `/opt/${name}`;
  const etc = `/etc/${name}`;
  return {
    dir,
    compose: `${dir}/docker-compose.yml`,
    settings: `${dir}/stack.env`,
    updateScript: `${dir}/update.sh`,
    smokeScript: `${dir}/smoke.sh`,
    secrets: `${etc}/env`,
    postgresEnv: `${etc}/postgres.env`,
    updateEnv: `${etc}/update.env`,
    logs: `/var/log/${name}`,
  };
}

/**
 * Render the runner-stack plan. Throws ValidationError naming `config.<field>` on bad settings.
 *
 * @example
 * renderRunnerStackWorkload(row, {}).files.map((f) => f.path)
 * // → ['/opt/ai-ops-runner/docker-compose.yml', '/opt/ai-ops-runner/stack.env', …]
 */
export function renderRunnerStackWorkload(input: WorkloadInput, secrets: Record<string, string>, random: RandomBytes = defaultRandomBytes): WorkloadPlan {
  const r = new SettingsReader('runner-stack', input.workloadConfig, secrets);
  const name = r.string('name', { default: DEFAULT_STACK_NAME, pattern: RE_STACK_NAME, hint: 'must be 2-40 lower-case letters, digits and dashes, starting with a letter' });
  if (reservedStackName(name)) r.error('name', `${name} is reserved: it is the name of a system unit or of Hangar's own`);
  const givenUrl = r.url('repositoryUrl', { schemes: ['https:', 'http:'] });
  const credentials = givenUrl ? urlUserinfo(givenUrl) : null;
  const repositoryUrl = givenUrl && withoutUserinfo(givenUrl);
  const branch = r.string('branch', { default: 'main', pattern: RE_BRANCH, hint: 'must be a git branch name' });
  const dockerfile = r.string('dockerfile', { default: 'Dockerfile', pattern: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/, hint: 'must be a relative path inside the repository' });
  const reviewGate = r.bool('reviewGate', true);
  const apiImage = r.string('apiImage', { pattern: RE_IMAGE, hint: 'must be a Docker image reference' });
  const workerImage = r.string('workerImage', { pattern: RE_IMAGE, hint: 'must be a Docker image reference' }) ?? apiImage;
  if (!repositoryUrl && !apiImage && !r.errors.some((e) => e.field === r.field('repositoryUrl') || e.field === r.field('apiImage'))) {
    r.error('apiImage', 'is required unless repositoryUrl is given (the api and worker are then built from it)');
  }
  if (repositoryUrl && (r.has('apiImage') || r.has('workerImage'))) r.error('apiImage', 'cannot be combined with repositoryUrl: images are built from the repository');
  const apiCommand = r.stringList('apiCommand', { max: 64 });
  const workerCommand = r.stringList('workerCommand', { max: 64 });
  const apiPort = r.int('apiPort', { default: 8000, min: 1, max: 65535 });
  const healthPath = r.string('healthPath', { default: '/health', pattern: /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,200}$/, hint: 'must be a URL path starting with /' });
  const postgresImage = r.string('postgresImage', { default: DEFAULT_RUNNER_POSTGRES_IMAGE, pattern: RE_IMAGE, hint: 'must be a Docker image reference' });
  const redisImage = r.string('redisImage', { default: DEFAULT_REDIS_IMAGE, pattern: RE_IMAGE, hint: 'must be a Docker image reference' });
  const environment = r.envMap('environment');
  for (const [k] of environment) if (RESERVED_ENV.has(k)) r.error(`environment.${k}`, `${k} is set by the stack`);
  let gitUsername = r.string('gitUsername', { max: 255 });
  let gitToken = r.string('gitToken', { max: 1024 });
  if ((gitToken || gitUsername) && !repositoryUrl) r.error(gitToken ? 'gitToken' : 'gitUsername', 'is only used with repositoryUrl');
  const gitFields = { user: r.field('gitUsername'), token: r.field('gitToken') };
  if (credentials) {
    // user:token@ → both; user@ with gitToken → the user; token@ alone → the token (GitHub's form).
    const [user, token] = credentials.password ? [credentials.username, credentials.password] : gitToken ? [credentials.username, undefined] : [undefined, credentials.username];
    if ((user && gitUsername) || (token && gitToken)) r.error('repositoryUrl', 'carries credentials: give them in the URL or as gitUsername/gitToken, not both');
    if (user) [gitUsername, gitFields.user] = [user, r.field('repositoryUrl')];
    if (token) [gitToken, gitFields.token] = [token, r.field('repositoryUrl')];
  }
  const dbPassword = r.string('postgresPassword', { min: 12, max: 256 }) ?? generateSecret(random);
  const appSecrets: [string, string, string][] = [];
  for (const s of r.unreadSecrets()) {
    const value = r.string(s, { max: 8192 });
    const env = envNameOf(s);
    if (RESERVED_ENV.has(env) || environment.some(([k]) => k === env)) r.error(s, `would set ${env}, which is already set`);
    else if (value !== undefined) appSecrets.push([env, value, r.field(s)]);
  }
  r.finish();

  const p = stackPaths(name);
  const stack: ComposeStack = { project: name, dir: p.dir, file: p.compose };
  const build = repositoryUrl ? { context: `${p.dir}/src`, dockerfile } : undefined;
  const app = (image: string | undefined, command: string[] | undefined, extra: Record<string, unknown>) => ({
    ...(build ? { build, image: `hangar-local/${name}:latest`, pull_policy: 'build' } : { image }),
    ...(command ? { command: command.map(composeLiteral) } : {}),
    restart: 'unless-stopped',
    env_file: [p.secrets],
    ...(environment.length ? { environment: Object.fromEntries(environment.map(([k, v]) => [k, composeLiteral(v)])) } : {}),
    depends_on: { postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } },
    networks: ['internal', 'default'],
    ...extra,
  });
  const compose = renderComposeYaml(`Managed by Hangar: the ${name} runner stack (seed 004). Secrets live in ${p.secrets}.`, {
    services: {
      postgres: {
        image: postgresImage,
        restart: 'unless-stopped',
        env_file: [p.postgresEnv],
        volumes: ['postgres_data:/var/lib/postgresql/data'],
        healthcheck: { test: ['CMD-SHELL', `pg_isready -U ${DB} -d ${DB}`], interval: '10s', timeout: '5s', retries: 5, start_period: '30s' },
        networks: ['internal'],
      },
      redis: {
        image: redisImage,
        restart: 'unless-stopped',
        command: ['redis-server', '--appendonly', 'yes'],
        volumes: ['redis_data:/data'],
        healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '10s', timeout: '5s', retries: 5 },
        networks: ['internal'],
      },
      api: app(apiImage, apiCommand, { ports: [`127.0.0.1:${apiPort}:${apiPort}`] }),
      worker: app(workerImage, workerCommand, {}),
    },
    networks: { internal: { internal: true } },
    volumes: { postgres_data: {}, redis_data: {} },
  });

  const settings = renderEnvFile(
    [
      ['STACK_NAME', name, r.field('name')],
      ['COMPOSE_PROJECT_NAME', name, r.field('name')],
      ['COMPOSE_FILE', p.compose, r.field('name')],
      ['REPOSITORY_URL', repositoryUrl ?? '', r.field('repositoryUrl')],
      ['REPOSITORY_BRANCH', branch, r.field('branch')],
      ['REVIEW_GATE', reviewGate ? 'yes' : 'no', r.field('reviewGate')],
      ['API_PORT', String(apiPort), r.field('apiPort')],
      ['HEALTH_PATH', healthPath, r.field('healthPath')],
      ['SMOKE_SERVICES', SERVICES.join(' '), 'SMOKE_SERVICES'],
      ['UPDATE_ENV_FILE', p.updateEnv, r.field('name')],
    ],
    `Managed by Hangar: settings of the ${name} stack (no secrets; those are in /etc/${name}/).`,
  );
  const dbUrl = `postgresql://${DB}:${encodeURIComponent(dbPassword)}@postgres:5432/${DB}`;
  const appEnv = renderEnvFile(
    [['DATABASE_URL', dbUrl, r.field('postgresPassword')], ['REDIS_URL', 'redis://redis:6379/0', 'REDIS_URL'], ...appSecrets],
    `Managed by Hangar: secrets of the ${name} stack, read by its api and worker.`,
  );
  const dbEnv = renderEnvFile(
    [
      ['POSTGRES_USER', DB, 'POSTGRES_USER'],
      ['POSTGRES_PASSWORD', dbPassword, r.field('postgresPassword')],
      ['POSTGRES_DB', DB, 'POSTGRES_DB'],
    ],
    `Managed by Hangar: PostgreSQL credentials of the ${name} stack.`,
  );
  const updateEnv = renderEnvFile(
    [
      ...(gitToken ? ([['GIT_TOKEN', gitToken, gitFields.token]] as [string, string, string][]) : []),
      ...(gitUsername ? ([['GIT_USERNAME', gitUsername, gitFields.user]] as [string, string, string][]) : []),
    ],
    `Managed by Hangar: repository credentials of the ${name} self-update.`,
  );

  const units = renderStackUnits({ name, dir: p.dir, compose: composeArgv(stack, '/usr/bin/docker'), build: !!repositoryUrl, updateScript: p.updateScript, smokeScript: p.smokeScript });
  const files: WorkloadFile[] = [
    // 0600: `environment` values are secret.
    { path: p.compose, content: compose, mode: '0600', owner: 'root:root' },
    { path: p.settings, content: settings, mode: '0600', owner: 'root:root' },
    { path: p.updateScript, content: renderUpdateScript(), mode: '0755', owner: 'root:root' },
    { path: p.smokeScript, content: renderSmokeScript(), mode: '0755', owner: 'root:root' },
    { path: p.secrets, content: appEnv, mode: '0600', owner: 'root:root' },
    { path: p.postgresEnv, content: dbEnv, mode: '0600', owner: 'root:root' },
    { path: p.updateEnv, content: updateEnv, mode: '0600', owner: 'root:root' },
    ...units.map((u) => ({ path: `/etc/systemd/system/${u.name}`, content: u.content, mode: '0644', owner: 'root:root' })),
  ];
  const timers = [`${name}-update.timer`, `${name}-smoke.timer`];
  const serve = input.tailscale
    ? { start: [['tailscale', 'serve', '--bg', '--https=443', `http://127.0.0.1:${apiPort}`]], stop: [['tailscale', 'serve', '--https=443', 'off']] }
    : { start: [], stop: [] };
  return {
    kind: 'runner-stack',
    files,
    start: [
      ['systemctl', 'daemon-reload'],
      ...(repositoryUrl ? [[p.updateScript, '--checkout-only']] : []),
      ['systemctl', 'enable', `${name}.service`, ...timers],
      ['systemctl', 'reload-or-restart', `${name}.service`],
      ['systemctl', 'start', ...timers],
      ...serve.start,
    ],
    stop: [...serve.stop, ['systemctl', 'disable', '--now', ...timers], ['systemctl', 'disable', '--now', `${name}.service`]],
    health: { type: 'compose', file: p.compose, project: name, services: SERVICES },
    smoke: [p.smokeScript],
  };
}
