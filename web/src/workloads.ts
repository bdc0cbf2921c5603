import type { WorkloadKind } from './types.ts';

/** One setting of a workload, sent as `config.<key>` in `POST /v1/instances`. */
export interface SettingDef {
  key: string;
  label: string;
  /**
   * `words`: a space-separated list sent as an array; `bool`: a checkbox; `secretPairs`: lines of
   * `name=value` sent as top-level secret settings (each becomes an environment variable on the
   * server); `envMap`: lines of `NAME=value` sent as one object.
   */
  type: 'text' | 'password' | 'url' | 'number' | 'textarea' | 'choice' | 'words' | 'bool' | 'secretPairs' | 'envMap';
  hint?: string;
  placeholder?: string;
  options?: { value: string; label: string }[];
  /** Required (checked before the request; the API has the last word). */
  required?: boolean | ((cfg: Record<string, string>) => boolean);
  /** Shown only when this holds. */
  when?: (cfg: Record<string, string>) => boolean;
  initial?: string;
  wide?: boolean;
}

/** Setting names the API stores sealed and never returns (see src/engine/workload-config.ts). */
export const isSecretSetting = (key: string): boolean => /(key|token|password|secret)$/i.test(key);

export const WORKLOAD_INFO: Record<WorkloadKind, { title: string; description: string }> = {
  process: { title: 'Process', description: 'A command the agent supervises, with an HTTP health check. Empty: the built-in demo service.' },
  openclaw: { title: 'OpenClaw gateway', description: 'The openclaw npm package as a gateway on port 18789 with token auth (Node 24).' },
  'agent-manager': { title: 'Cursor agent-manager', description: 'Agent-manager and PostgreSQL in Docker Compose; API on 3000, WebSocket on 8080.' },
  'runner-stack': { title: 'Runner stack', description: 'A compose stack from a git repository, with update and smoke-test timers.' },
  compose: { title: 'Docker Compose', description: 'Your own docker-compose.yml, checked against the compose specification.' },
};

const keycloak = (c: Record<string, string>) => c.authenticationType === 'keycloak';

/**
 * The settings of each workload, named as the server's renderers read them
 * (src/bootstrap/{process-workload,openclaw,agent-manager,runner-stack,compose-workload}.ts).
 */
export const WORKLOAD_SETTINGS: Record<WorkloadKind, SettingDef[]> = {
  process: [
    { key: 'command', label: 'Command', type: 'text', placeholder: '{node}', hint: 'Empty: the agent runs its demo HTTP service. {node} is the agent’s Node.js, {agent} its bundle.' },
    { key: 'args', label: 'Arguments', type: 'words', placeholder: 'server.js --port {port}', hint: 'Separated by spaces; {port} becomes the port the agent picks.' },
    { key: 'port', label: 'Port', type: 'number', placeholder: 'any free port', hint: 'The port the process listens on; empty: the agent picks one.' },
    { key: 'healthPath', label: 'Health check path', type: 'text', placeholder: '/healthz', hint: 'Polled over HTTP on 127.0.0.1; 2xx means healthy.' },
  ],
  openclaw: [
    { key: 'version', label: 'OpenClaw version', type: 'text', placeholder: 'latest', hint: 'An npm version or dist-tag of the openclaw package.' },
    { key: 'gatewayToken', label: 'Gateway token', type: 'password', hint: 'At least 16 characters; generated when empty.' },
    { key: 'port', label: 'Gateway port', type: 'number', placeholder: '18789', hint: 'The gateway listens on 127.0.0.1 only.' },
    { key: 'servePort', label: 'Tailnet HTTPS port', type: 'number', placeholder: '443', hint: 'With Tailscale: the gateway is served on this port (443, 8443 or 10000).' },
    {
      key: 'secrets',
      label: 'Model provider keys',
      type: 'secretPairs',
      wide: true,
      placeholder: 'anthropicApiKey=sk-ant-…\nopenaiApiKey=sk-…',
      hint: 'One name=value per line; names end in Key, Token, Password or Secret. anthropicApiKey becomes ANTHROPIC_API_KEY for the gateway.',
    },
  ],
  'agent-manager': [
    {
      key: 'authenticationType',
      label: 'Authentication',
      type: 'choice',
      options: [
        { value: 'api_key', label: 'API key' },
        { value: 'keycloak', label: 'Keycloak' },
      ],
      initial: 'api_key',
      wide: true,
    },
    { key: 'apiKey', label: 'API key', type: 'password', when: (c) => !keycloak(c), hint: 'STATIC_API_KEY of the agent-manager, at least 16 characters; generated when empty.', wide: true },
    { key: 'keycloakClientId', label: 'Keycloak client ID', type: 'text', when: keycloak, required: keycloak },
    { key: 'keycloakClientSecret', label: 'Keycloak client secret', type: 'password', when: keycloak, required: keycloak },
    { key: 'keycloakRealm', label: 'Keycloak realm', type: 'text', when: keycloak, hint: 'Empty: the server’s default.' },
    { key: 'keycloakAuthServerUrl', label: 'Keycloak auth server URL', type: 'url', when: keycloak, placeholder: 'https://sso.example.com', hint: 'Empty: the server’s default.' },
    { key: 'gitRepositoryUrl', label: 'Git repository URL', type: 'url', placeholder: 'https://github.com/acme/workspace.git', hint: 'The agents’ workspace (GIT_REPOSITORY_URL).', wide: true },
    { key: 'gitUsername', label: 'Git username', type: 'text' },
    { key: 'gitToken', label: 'Git token', type: 'password', hint: 'A personal access token…' },
    { key: 'gitPassword', label: 'Git password', type: 'password', hint: '…or a password instead of a token.' },
    { key: 'cursorApiKey', label: 'Cursor API key', type: 'password' },
    { key: 'agentDefaultImage', label: 'Agent default image', type: 'text', placeholder: 'ghcr.io/forepath/agenstra-manager-worker:latest', hint: 'Docker image of the Cursor agents.', wide: true },
    { key: 'agentWsPort', label: 'WebSocket port', type: 'number', placeholder: '8080', hint: 'The agent-manager’s WebSocket gateway; its HTTP API is on 3000.' },
  ],
  'runner-stack': [
    { key: 'repositoryUrl', label: 'Git repository URL', type: 'url', placeholder: 'https://github.com/acme/ai-ops-runner.git', wide: true, hint: 'Cloned on the server; the api and worker images are built from it.' },
    { key: 'branch', label: 'Branch', type: 'text', placeholder: 'main' },
    { key: 'name', label: 'Stack name', type: 'text', placeholder: 'ai-ops-runner', hint: 'Names /opt/<name> and its systemd units.' },
    { key: 'gitUsername', label: 'Git username', type: 'text', hint: 'For a private repository.' },
    { key: 'gitToken', label: 'Git token', type: 'password', hint: 'For a private repository.' },
    { key: 'apiImage', label: 'API image', type: 'text', placeholder: 'ghcr.io/acme/runner-api:1.4', hint: 'Instead of a repository: a prebuilt image for the api (and the worker).', wide: true },
    { key: 'apiPort', label: 'API port', type: 'number', placeholder: '8000' },
    { key: 'healthPath', label: 'Health check path', type: 'text', placeholder: '/health' },
    { key: 'environment', label: 'Environment', type: 'envMap', wide: true, placeholder: 'LOG_LEVEL=info', hint: 'One NAME=value per line, for the api and the worker.' },
  ],
  compose: [
    {
      key: 'compose',
      label: 'docker-compose.yml',
      type: 'textarea',
      required: true,
      wide: true,
      placeholder: 'services:\n  app:\n    image: nginx:1.27\n    ports:\n      - "127.0.0.1:8080:80"',
      hint: 'Checked against the compose specification before anything is created. Bind published ports to 127.0.0.1 (Docker bypasses the firewall).',
    },
    { key: 'project', label: 'Project name', type: 'text', placeholder: 'app', hint: 'The compose project, in /opt/<name>.' },
    { key: 'allowPublicPorts', label: 'Allow ports published on every interface', type: 'bool', hint: 'Off: a port such as "8080:80" is refused.' },
    { key: 'servePort', label: 'Tailnet HTTPS port', type: 'number', placeholder: '443', hint: 'With Tailscale: serve the app over HTTPS on 443, 8443 or 10000…' },
    { key: 'serveTarget', label: 'Local port to serve', type: 'number', placeholder: '8080', hint: '…from this port on 127.0.0.1.' },
    {
      key: 'secrets',
      label: 'Secrets',
      type: 'secretPairs',
      wide: true,
      placeholder: 'databasePassword=…',
      hint: 'One name=value per line; names end in Key, Token, Password or Secret. databasePassword becomes ${DATABASE_PASSWORD} for the compose file.',
    },
  ],
};

/** The settings shown for `cfg`, in order. */
export function visibleSettings(kind: WorkloadKind, cfg: Record<string, string>): SettingDef[] {
  return WORKLOAD_SETTINGS[kind].filter((d) => !d.when || d.when(cfg));
}

/** Initial values of a workload's settings. */
export function initialSettings(kind: WorkloadKind): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of WORKLOAD_SETTINGS[kind]) if (d.initial !== undefined) out[d.key] = d.initial;
  return out;
}

const RE_SECRET_NAME = /^[a-z][A-Za-z0-9]{0,63}$/;
const RE_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** `name=value` lines (blank lines and # comments skipped), or the first bad line's error. */
function parsePairs(text: string, check: (name: string) => string | null): { pairs: [string, string][]; error: string | null } {
  const pairs: [string, string][] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 1) return { pairs, error: `line ${i + 1}: expected name=value` };
    const name = line.slice(0, eq).trim();
    const problem = check(name);
    if (problem) return { pairs, error: `line ${i + 1}: ${problem}` };
    pairs.push([name, line.slice(eq + 1).trim()]);
  }
  return { pairs, error: null };
}

/**
 * The `config` object for the API: visible, non-empty settings, numbers as numbers, word lists
 * as arrays, pairs spread or grouped. Returns field errors for what can be told before asking
 * the API.
 */
export function buildConfig(kind: WorkloadKind, cfg: Record<string, string>): { config: Record<string, unknown>; errors: Record<string, string> } {
  const config: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const d of visibleSettings(kind, cfg)) {
    const field = `config.${d.key}`;
    const raw = cfg[d.key] ?? '';
    const value = d.type === 'textarea' ? raw : raw.trim();
    const required = typeof d.required === 'function' ? d.required(cfg) : d.required;
    if (!value.trim()) {
      if (required) errors[field] = `${d.label} is required`;
      continue;
    }
    if (d.type === 'number') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) errors[field] = 'a whole number from 0 to 65535';
      else config[d.key] = n;
    } else if (d.type === 'bool') {
      if (value === 'true') config[d.key] = true;
    } else if (d.type === 'words') config[d.key] = value.split(/\s+/).filter(Boolean);
    else if (d.type === 'secretPairs') {
      const { pairs, error } = parsePairs(value, (n) =>
        !RE_SECRET_NAME.test(n) ? `${n} is not a camelCase name` : !isSecretSetting(n) ? `${n} must end in Key, Token, Password or Secret` : n in config ? `${n} is set twice` : null,
      );
      if (error) errors[field] = error;
      else for (const [n, v] of pairs) config[n] = v;
    } else if (d.type === 'envMap') {
      const { pairs, error } = parsePairs(value, (n) => (RE_ENV_NAME.test(n) ? null : `${n} is not an environment variable name`));
      if (error) errors[field] = error;
      else config[d.key] = Object.fromEntries(pairs);
    } else config[d.key] = value;
  }
  return { config, errors };
}

/**
 * Which setting an API error about `field` belongs to: its own, the one it is nested in
 * (`config.environment.FOO`), or the workload's free-form secrets (`config.anthropicApiKey`).
 */
export function settingForError(kind: WorkloadKind, cfg: Record<string, string>, field: string): string | null {
  if (!field.startsWith('config.')) return null;
  const shown = visibleSettings(kind, cfg);
  const own = shown.find((d) => field === `config.${d.key}` || field.startsWith(`config.${d.key}.`));
  if (own) return `config.${own.key}`;
  const pairs = shown.find((d) => d.type === 'secretPairs');
  const name = field.slice('config.'.length);
  return pairs && isSecretSetting(name) ? `config.${pairs.key}` : null;
}
