import { composeArgv, renderComposeYaml, type ComposeStack } from './compose.ts';
import { renderEnvFile } from './env-file.ts';
import type { SettingsSchema } from './settings-schema.ts';
import type { WorkloadInput, WorkloadPlan } from './types.ts';
import { RE_IMAGE, SettingsReader, defaultRandomBytes, generateSecret, type RandomBytes } from './workload-config.ts';

/**
 * The `agent-manager` workload (seed 001): a compose project with PostgreSQL (with a
 * `pg_isready` healthcheck) and the agent-manager container, HTTP on 3000 and WebSocket on
 * `agentWsPort` (8080). Both ports are published on 127.0.0.1 only (Docker's published ports
 * bypass UFW) and, when the server is on a tailnet, forwarded there on the same port numbers with
 * `tailscale serve --tcp`, so clients keep using `http://<server>:3000` and `ws://<server>:8080`.
 * `publicPorts: true` publishes them on every interface instead, as seed 001 did.
 *
 * Seed 001's fields and the env names they become (secrets go to a 0600 env file, never into the
 * compose file):
 *
 * | field | env |
 * | --- | --- |
 * | `authenticationType` `api_key` (default) or `keycloak` | |
 * | `apiKey` (secret; generated when absent) | `STATIC_API_KEY` |
 * | `keycloakClientId`, `keycloakClientSecret` (both required for keycloak) | `KEYCLOAK_CLIENT_ID`, `KEYCLOAK_CLIENT_SECRET` |
 * | `keycloakRealm`, `keycloakAuthServerUrl`, `keycloakServerUrl` | `KEYCLOAK_REALM`, `KEYCLOAK_AUTH_SERVER_URL`, `KEYCLOAK_SERVER_URL` |
 * | `agentWsPort` (default 8080) | `WEBSOCKET_PORT` |
 * | `gitRepositoryUrl`, `gitUsername`, `gitToken`, `gitPassword` | `GIT_REPOSITORY_URL`, `GIT_USERNAME`, `GIT_TOKEN`, `GIT_PASSWORD` |
 * | `cursorApiKey` | `CURSOR_API_KEY` |
 * | `agentDefaultImage` (default `ghcr.io/forepath/agenstra-manager-worker:latest`) | `AGENT_DEFAULT_IMAGE` |
 *
 * Also: `image` (the manager image), `postgresImage`, `postgresPassword` (secret; generated when
 * absent), `publicPorts`.
 */

/**
 * The agent-manager settings (seed 001's fields). Unknown settings are refused. URLs may carry
 * credentials (`https://user:token@host/repo.git`): the URL is then sealed whole, shown without
 * them, and written whole to the 0600 env file.
 */
export const AGENT_MANAGER_SETTINGS: SettingsSchema = {
  kind: 'agent-manager',
  fields: {
    authenticationType: { type: 'string' },
    image: { type: 'string' },
    postgresImage: { type: 'string' },
    agentDefaultImage: { type: 'string' },
    agentWsPort: { type: 'int' },
    publicPorts: { type: 'boolean' },
    postgresPassword: { type: 'string', secret: true },
    apiKey: { type: 'string', secret: true },
    keycloakClientId: { type: 'string' },
    keycloakClientSecret: { type: 'string', secret: true },
    keycloakRealm: { type: 'string' },
    keycloakAuthServerUrl: { type: 'url' },
    keycloakServerUrl: { type: 'url' },
    gitRepositoryUrl: { type: 'url' },
    gitUsername: { type: 'string' },
    gitToken: { type: 'string', secret: true },
    gitPassword: { type: 'string', secret: true },
    cursorApiKey: { type: 'string', secret: true },
  },
  extra: 'rejected',
};

const AGENT_MANAGER_DIR = '/opt/agent-manager';
const AGENT_MANAGER_STACK: ComposeStack = {
  project: 'agent-manager',
  dir: AGENT_MANAGER_DIR,
  file: `${AGENT_MANAGER_DIR}/docker-compose.yml`,
};
const AGENT_MANAGER_HTTP_PORT = 3000;
const DEFAULT_AGENT_MANAGER_IMAGE = 'ghcr.io/forepath/agenstra-manager-api:latest';
const DEFAULT_AGENT_DEFAULT_IMAGE = 'ghcr.io/forepath/agenstra-manager-worker:latest';
const DEFAULT_POSTGRES_IMAGE = 'postgres:16-alpine';
const DB = 'agentmanager';

/**
 * Render the agent-manager plan. Throws ValidationError naming `config.<field>` on bad settings.
 *
 * @example
 * renderAgentManagerWorkload(row, { apiKey: 'k'.repeat(32) }).health
 * // → { type: 'compose', file: '/opt/agent-manager/docker-compose.yml', project: 'agent-manager', services: ['postgres', 'agent-manager'] }
 */
export function renderAgentManagerWorkload(input: WorkloadInput, secrets: Record<string, string>, random: RandomBytes = defaultRandomBytes): WorkloadPlan {
  const r = new SettingsReader('agent-manager', input.workloadConfig, secrets);
  const auth = r.oneOf('authenticationType', ['api_key', 'keycloak'] as const, 'api_key');
  const image = r.string('image', { default: DEFAULT_AGENT_MANAGER_IMAGE, pattern: RE_IMAGE, hint: 'must be a Docker image reference' });
  const postgresImage = r.string('postgresImage', { default: DEFAULT_POSTGRES_IMAGE, pattern: RE_IMAGE, hint: 'must be a Docker image reference' });
  const agentDefaultImage = r.string('agentDefaultImage', { default: DEFAULT_AGENT_DEFAULT_IMAGE, pattern: RE_IMAGE, hint: 'must be a Docker image reference' });
  const wsPort = r.int('agentWsPort', { default: 8080, min: 1024, max: 65535 });
  if (wsPort === AGENT_MANAGER_HTTP_PORT) r.error('agentWsPort', `must differ from the HTTP port ${AGENT_MANAGER_HTTP_PORT}`);
  const publicPorts = r.bool('publicPorts', false);
  const dbPassword = r.string('postgresPassword', { min: 12, max: 256 }) ?? generateSecret(random);

  const app: [string, string, string][] = [];
  const add = (env: string, value: string | undefined, field: string) => {
    if (value !== undefined) app.push([env, value, r.field(field)]);
  };
  if (auth === 'api_key') {
    add('STATIC_API_KEY', r.string('apiKey', { min: 16, max: 512 }) ?? generateSecret(random), 'apiKey');
  } else if (r.has('apiKey')) {
    r.error('apiKey', 'is only used with authenticationType api_key');
  }
  const keycloakFields = ['keycloakClientId', 'keycloakClientSecret', 'keycloakRealm', 'keycloakAuthServerUrl', 'keycloakServerUrl'];
  if (auth === 'keycloak') {
    add('KEYCLOAK_CLIENT_ID', r.string('keycloakClientId', { required: true, max: 255 }), 'keycloakClientId');
    add('KEYCLOAK_CLIENT_SECRET', r.string('keycloakClientSecret', { required: true, max: 1024 }), 'keycloakClientSecret');
    add('KEYCLOAK_REALM', r.string('keycloakRealm', { max: 255, pattern: /^[A-Za-z0-9._-]+$/, hint: 'must be letters, digits, dots, dashes or underscores' }), 'keycloakRealm');
    const authServer = r.url('keycloakAuthServerUrl');
    add('KEYCLOAK_AUTH_SERVER_URL', authServer, 'keycloakAuthServerUrl');
    add('KEYCLOAK_SERVER_URL', r.url('keycloakServerUrl') ?? authServer, 'keycloakServerUrl');
  } else {
    for (const f of keycloakFields) if (r.has(f)) r.error(f, 'is only used with authenticationType keycloak');
  }
  add('GIT_REPOSITORY_URL', r.url('gitRepositoryUrl', { schemes: ['https:', 'http:', 'ssh:', 'git:'] }), 'gitRepositoryUrl');
  add('GIT_USERNAME', r.string('gitUsername', { max: 255 }), 'gitUsername');
  add('GIT_TOKEN', r.string('gitToken', { max: 1024 }), 'gitToken');
  add('GIT_PASSWORD', r.string('gitPassword', { max: 1024 }), 'gitPassword');
  add('CURSOR_API_KEY', r.string('cursorApiKey', { max: 1024 }), 'cursorApiKey');
  add('AGENT_DEFAULT_IMAGE', agentDefaultImage, 'agentDefaultImage');
  r.finish();

  const appEnv = renderEnvFile(
    [
      ['NODE_ENV', 'production', 'NODE_ENV'],
      ['HOST', '0.0.0.0', 'HOST'],
      ['PORT', String(AGENT_MANAGER_HTTP_PORT), 'PORT'],
      ['WEBSOCKET_PORT', String(wsPort), r.field('agentWsPort')],
      ['DB_HOST', 'postgres', 'DB_HOST'],
      ['DB_PORT', '5432', 'DB_PORT'],
      ['DB_USERNAME', DB, 'DB_USERNAME'],
      ['DB_PASSWORD', dbPassword, r.field('postgresPassword')],
      ['DB_DATABASE', DB, 'DB_DATABASE'],
      ...app,
    ],
    'Managed by Hangar: agent-manager settings and secrets (seed 001 names).',
  );
  const dbEnv = renderEnvFile(
    [
      ['POSTGRES_USER', DB, 'POSTGRES_USER'],
      ['POSTGRES_PASSWORD', dbPassword, r.field('postgresPassword')],
      ['POSTGRES_DB', DB, 'POSTGRES_DB'],
    ],
    'Managed by Hangar: PostgreSQL credentials of the agent-manager stack.',
  );
  const bind = publicPorts ? '' : '127.0.0.1:';
  const compose = renderComposeYaml('Managed by Hangar: the agent-manager stack (seed 001). Secrets live in the env files beside it.', {
    services: {
      postgres: {
        image: postgresImage,
        restart: 'unless-stopped',
        env_file: ['postgres.env'],
        volumes: ['postgres_data:/var/lib/postgresql/data'],
        healthcheck: { test: ['CMD-SHELL', `pg_isready -U ${DB} -d ${DB}`], interval: '10s', timeout: '5s', retries: 5, start_period: '30s' },
      },
      'agent-manager': {
        image,
        restart: 'unless-stopped',
        env_file: ['agent-manager.env'],
        ports: [`${bind}${AGENT_MANAGER_HTTP_PORT}:${AGENT_MANAGER_HTTP_PORT}`, `${bind}${wsPort}:${wsPort}`],
        // agent-manager starts the cursor agents as sibling containers.
        volumes: ['/var/run/docker.sock:/var/run/docker.sock'],
        depends_on: { postgres: { condition: 'service_healthy' } },
      },
    },
    volumes: { postgres_data: {} },
  });

  const dc = composeArgv(AGENT_MANAGER_STACK);
  const serve = input.tailscale
    ? {
        start: [AGENT_MANAGER_HTTP_PORT, wsPort].map((p) => ['tailscale', 'serve', '--bg', `--tcp=${p}`, `tcp://127.0.0.1:${p}`]),
        stop: [AGENT_MANAGER_HTTP_PORT, wsPort].map((p) => ['tailscale', 'serve', `--tcp=${p}`, 'off']),
      }
    : { start: [], stop: [] };
  return {
    kind: 'agent-manager',
    files: [
      { path: AGENT_MANAGER_STACK.file, content: compose, mode: '0644', owner: 'root:root' },
      { path: `${AGENT_MANAGER_DIR}/agent-manager.env`, content: appEnv, mode: '0600', owner: 'root:root' },
      { path: `${AGENT_MANAGER_DIR}/postgres.env`, content: dbEnv, mode: '0600', owner: 'root:root' },
    ],
    start: [[...dc, 'up', '--detach', '--remove-orphans', '--wait', '--wait-timeout', '600'], ...serve.start],
    stop: [...serve.stop, [...dc, 'down']],
    health: { type: 'compose', file: AGENT_MANAGER_STACK.file, project: AGENT_MANAGER_STACK.project, services: ['postgres', 'agent-manager'] },
    smoke: [...dc, 'exec', '-T', 'postgres', 'pg_isready', '-U', DB, '-d', DB],
  };
}
