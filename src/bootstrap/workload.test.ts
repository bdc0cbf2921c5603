import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ValidationError } from '../domain/errors.ts';
import { INSTANCE_ID, KINDS, SERVER_NAME, USER_COMPOSE, WORKLOAD_VARIANTS, fixedRandom, workloadInput } from './fixtures.testing.ts';
import { renderProcessWorkload } from './process-workload.ts';
import type { WorkloadInput, WorkloadKind, WorkloadPlan } from './types.ts';
import { completeWorkloadSecrets, redactWorkloadPlan, renderWorkload, validateWorkloadConfig } from './workload.ts';
import { envNameOf } from './workload-config.ts';

const render = (kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string> = {}, over: Partial<WorkloadInput> = {}) =>
  renderWorkload({ id: INSTANCE_ID, serverName: SERVER_NAME, workload: kind, workloadConfig: config, tailscale: true, ...over }, secrets, { randomBytes: fixedRandom });
const fileOf = (plan: WorkloadPlan, path: string) => {
  const f = plan.files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${plan.files.map((x) => x.path).join(', ')}`);
  return f;
};
/** The env var map of an env file (single-quoted values, as renderEnvFile writes them). */
const envOf = (content: string) =>
  Object.fromEntries(
    content
      .split('\n')
      .filter((l) => /^[A-Z_]/.test(l))
      .map((l) => {
        const [k, ...v] = l.split('=');
        const raw = v.join('=');
        return [k, raw.slice(1, -1)];
      }),
  );
function fields(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return ((err as ValidationError).errors ?? []).map((e) => e.field);
  }
  throw new Error('expected a ValidationError');
}

describe('renderWorkload', () => {
  it('renders the same bytes twice for every workload variant', () => {
    for (const kind of KINDS) {
      for (const [i, v] of WORKLOAD_VARIANTS[kind].entries()) {
        const a = renderWorkload(workloadInput(kind, i), v.secrets, { randomBytes: fixedRandom });
        const b = renderWorkload(structuredClone(workloadInput(kind, i)), { ...v.secrets }, { randomBytes: fixedRandom });
        expect(JSON.stringify(a)).toBe(JSON.stringify(b));
        expect(a.kind).toBe(kind);
      }
    }
  });

  it('keeps the process workload exactly as renderProcessWorkload makes it', () => {
    for (const v of WORKLOAD_VARIANTS.process) {
      const plain = renderProcessWorkload(v.config);
      expect(render('process', v.config, {}, { provider: 'local' })).toEqual(plain);
      expect(render('process', v.config, {}, { provider: 'hetzner' })).toEqual({ ...plain, process: { ...plain.process, user: 'hangar' } });
    }
  });

  it('writes every secret-bearing file 0600', () => {
    for (const kind of KINDS) {
      for (const [i, v] of WORKLOAD_VARIANTS[kind].entries()) {
        const plan = renderWorkload(workloadInput(kind, i), v.secrets, { randomBytes: fixedRandom });
        for (const f of plan.files) {
          const holdsSecret = Object.values(v.secrets).some((s) => f.content.includes(s)) || /(^|\/)(\.env|env|[a-z-]+\.env)$/.test(f.path);
          if (holdsSecret) expect(`${f.path} ${f.mode}`).toBe(`${f.path} 0600`);
        }
      }
    }
  });

  it('names the workload field for an unknown kind, or one the local provider cannot run', () => {
    expect(fields(() => render('kubernetes' as WorkloadKind, {}))).toEqual(['workload']);
    expect(fields(() => render('openclaw', {}, {}, { provider: 'local' }))).toEqual(['workload']);
    expect(fields(() => validateWorkloadConfig('compose', { compose: USER_COMPOSE }, {}, 'local'))).toEqual(['workload']);
    expect(render('process', {}, {}, { provider: 'local' }).kind).toBe('process');
  });
});

describe('openclaw', () => {
  const plan = render('openclaw', {}, { anthropicApiKey: 'sk-ant-1' });

  it('installs from npm under its own user and runs the gateway on loopback with a token', () => {
    const install = fileOf(plan, '/etc/systemd/system/openclaw-install.service').content;
    expect(install).toMatch(/^User=openclaw$/m);
    expect(install).toContain('ExecStart=/usr/bin/npm install --global --prefix /var/lib/openclaw/.npm-global --no-audit --no-fund --omit=dev openclaw@latest');
    const gateway = fileOf(plan, '/etc/systemd/system/openclaw-gateway.service').content;
    expect(gateway).toMatch(/^User=openclaw$/m);
    expect(gateway).toContain('gateway run --port 18789 --bind loopback --auth token');
    expect(gateway).toContain('EnvironmentFile=/etc/openclaw/gateway.env');
    const env = fileOf(plan, '/etc/openclaw/gateway.env');
    expect(env.mode).toBe('0600');
    expect(envOf(env.content)).toEqual({ OPENCLAW_GATEWAY_TOKEN: fixedRandom(24).toString('base64url'), ANTHROPIC_API_KEY: 'sk-ant-1' });
    expect(plan.health).toEqual({ type: 'systemd', unit: 'openclaw-gateway.service' });
  });

  it('publishes on the tailnet with tailscale serve only when the server joins one', () => {
    expect(plan.start).toContainEqual(['tailscale', 'serve', '--bg', '--https=443', 'http://127.0.0.1:18789']);
    expect(plan.stop[0]).toEqual(['tailscale', 'serve', '--https=443', 'off']);
    const off = render('openclaw', {}, {}, { tailscale: false });
    expect(off.start.flat()).not.toContain('tailscale');
    expect(off.start).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'start', 'openclaw-install.service'],
      ['systemctl', 'enable', 'openclaw-gateway.service'],
      ['systemctl', 'restart', 'openclaw-gateway.service'],
    ]);
  });

  it('validates its settings by field', () => {
    expect(fields(() => render('openclaw', { version: 'latest; rm -rf /', port: 80, servePort: 444, colour: 'blue' }, { gatewayToken: 'short' }))).toEqual([
      'config.version',
      'config.port',
      'config.servePort',
      'config.gatewayToken',
      'config.colour',
    ]);
    expect(fields(() => render('openclaw', {}, { openclawGatewayToken: 'x'.repeat(20), openclawGatewayPassword: 'y' }))).toEqual(['config.openclawGatewayPassword', 'config.openclawGatewayToken']);
  });
});

describe('agent-manager (seed 001)', () => {
  const [v0, v1] = WORKLOAD_VARIANTS['agent-manager'];

  it('maps seed 001 fields to seed 001 env names in a 0600 env file, never into the compose file', () => {
    const plan = render('agent-manager', v0.config, v0.secrets);
    const envFile = fileOf(plan, '/opt/agent-manager/agent-manager.env');
    expect(envFile.mode).toBe('0600');
    const env = envOf(envFile.content);
    expect(env).toMatchObject({
      STATIC_API_KEY: fixedRandom(24).toString('base64url'),
      GIT_REPOSITORY_URL: 'https://github.com/acme/agents.git',
      GIT_USERNAME: 'bot user',
      GIT_TOKEN: v0.secrets.gitToken,
      CURSOR_API_KEY: v0.secrets.cursorApiKey,
      AGENT_DEFAULT_IMAGE: 'ghcr.io/forepath/agenstra-manager-worker:latest',
      PORT: '3000',
      WEBSOCKET_PORT: '8080',
      DB_HOST: 'postgres',
    });
    expect(env).not.toHaveProperty('KEYCLOAK_CLIENT_ID');
    const compose = fileOf(plan, '/opt/agent-manager/docker-compose.yml').content;
    for (const s of Object.values(v0.secrets)) expect(compose).not.toContain(s);
    expect(compose).not.toContain(env.STATIC_API_KEY);
  });

  it('runs postgres with a healthcheck and agent-manager on 3000 and agentWsPort, bound to loopback', () => {
    const plan = render('agent-manager', v1.config, v1.secrets);
    const doc = parse(fileOf(plan, '/opt/agent-manager/docker-compose.yml').content);
    expect(doc.services.postgres.healthcheck.test).toEqual(['CMD-SHELL', 'pg_isready -U agentmanager -d agentmanager']);
    expect(doc.services.postgres.ports).toBeUndefined();
    expect(doc.services['agent-manager'].ports).toEqual(['127.0.0.1:3000:3000', '127.0.0.1:9090:9090']);
    expect(doc.services['agent-manager'].depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(plan.health).toEqual({ type: 'compose', file: '/opt/agent-manager/docker-compose.yml', project: 'agent-manager', services: ['postgres', 'agent-manager'] });
    expect(plan.start).toContainEqual(['tailscale', 'serve', '--bg', '--tcp=3000', 'tcp://127.0.0.1:3000']);
    expect(plan.start).toContainEqual(['tailscale', 'serve', '--bg', '--tcp=9090', 'tcp://127.0.0.1:9090']);
    const pub = parse(fileOf(render('agent-manager', { publicPorts: true }), '/opt/agent-manager/docker-compose.yml').content);
    expect(pub.services['agent-manager'].ports).toEqual(['3000:3000', '8080:8080']);
  });

  it('takes Keycloak settings for keycloak auth, and no static key', () => {
    const env = envOf(fileOf(render('agent-manager', v1.config, v1.secrets), '/opt/agent-manager/agent-manager.env').content);
    expect(env).toMatchObject({
      KEYCLOAK_CLIENT_ID: 'agent-manager',
      KEYCLOAK_CLIENT_SECRET: "kc-secret-it's",
      KEYCLOAK_REALM: 'acme',
      KEYCLOAK_AUTH_SERVER_URL: 'https://sso.example.com/auth',
      KEYCLOAK_SERVER_URL: 'https://sso.example.com/auth',
      GIT_PASSWORD: 'p@ss word',
      AGENT_DEFAULT_IMAGE: 'ghcr.io/acme/worker:1.2',
      WEBSOCKET_PORT: '9090',
    });
    expect(env).not.toHaveProperty('STATIC_API_KEY');
  });

  it('generates apiKey when absent (and uses the given one otherwise)', () => {
    const given = envOf(fileOf(render('agent-manager', {}, { apiKey: 'my-static-api-key-0001' }), '/opt/agent-manager/agent-manager.env').content);
    expect(given.STATIC_API_KEY).toBe('my-static-api-key-0001');
    const a = renderWorkload(workloadInput('agent-manager', 0, { workloadConfig: {} }), {});
    const b = renderWorkload(workloadInput('agent-manager', 0, { workloadConfig: {} }), {});
    const keyOf = (p: WorkloadPlan) => envOf(fileOf(p, '/opt/agent-manager/agent-manager.env').content).STATIC_API_KEY;
    expect(keyOf(a)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(keyOf(a)).not.toBe(keyOf(b));
  });

  it('names the fields of bad settings', () => {
    expect(fields(() => render('agent-manager', { authenticationType: 'keycloak' }))).toEqual(['config.keycloakClientId', 'config.keycloakClientSecret']);
    expect(fields(() => render('agent-manager', { authenticationType: 'oauth' }))).toEqual(['config.authenticationType']);
    expect(fields(() => render('agent-manager', { authenticationType: 'keycloak', keycloakClientId: 'c' }, { keycloakClientSecret: 's', apiKey: 'k'.repeat(20) }))).toEqual(['config.apiKey']);
    expect(fields(() => render('agent-manager', { keycloakRealm: 'r' }))).toEqual(['config.keycloakRealm']);
    expect(fields(() => render('agent-manager', { agentWsPort: 3000, gitRepositoryUrl: 'file:///etc/passwd', agentDefaultImage: 'UPPER CASE' }))).toEqual([
      'config.agentDefaultImage',
      'config.agentWsPort',
      'config.gitRepositoryUrl',
    ]);
    expect(fields(() => render('agent-manager', {}, { apiKey: 'short' }))).toEqual(['config.apiKey']);
    expect(fields(() => render('agent-manager', {}, { gitToken: "a'$b" }))).toEqual(['config.gitToken']);
  });
});

describe('runner-stack (seed 004)', () => {
  const [v0, v1] = WORKLOAD_VARIANTS['runner-stack'];
  const plan = render('runner-stack', v0.config, v0.secrets);

  it('runs postgres and redis internal only, the api on 127.0.0.1, and a worker', () => {
    const doc = parse(fileOf(plan, '/opt/ai-ops-runner/docker-compose.yml').content);
    expect(Object.keys(doc.services)).toEqual(['postgres', 'redis', 'api', 'worker']);
    expect(doc.services.postgres.ports).toBeUndefined();
    expect(doc.services.redis.ports).toBeUndefined();
    expect(doc.services.postgres.networks).toEqual(['internal']);
    expect(doc.networks.internal.internal).toBe(true);
    expect(doc.services.api.ports).toEqual(['127.0.0.1:8000:8000']);
    expect(doc.services.worker.ports).toBeUndefined();
    expect(doc.services.api.build).toEqual({ context: '/opt/ai-ops-runner/src', dockerfile: 'Dockerfile' });
    expect(doc.services.api.environment).toEqual({ LOG_LEVEL: 'info', PRICE: '$$5' });
    expect(plan.start).toContainEqual(['tailscale', 'serve', '--bg', '--https=443', 'http://127.0.0.1:8000']);
  });

  it('has the stack unit and timers: self-update every 15 minutes, smoke test daily at 06:00 UTC', () => {
    const unit = (n: string) => fileOf(plan, `/etc/systemd/system/${n}`).content;
    expect(unit('ai-ops-runner.service')).toMatch(/^Type=oneshot$/m);
    expect(unit('ai-ops-runner.service')).toMatch(/^RemainAfterExit=yes$/m);
    expect(unit('ai-ops-runner-update.timer')).toMatch(/^OnCalendar=\*:0\/15$/m);
    expect(unit('ai-ops-runner-smoke.timer')).toMatch(/^OnCalendar=\*-\*-\* 06:00:00 UTC$/m);
    expect(unit('ai-ops-runner-update.service')).toContain('ExecStart=/opt/ai-ops-runner/update.sh');
    expect(unit('ai-ops-runner-smoke.service')).toContain('ExecStart=/opt/ai-ops-runner/smoke.sh');
    expect(plan.start).toContainEqual(['/opt/ai-ops-runner/update.sh', '--checkout-only']);
    expect(plan.start).toContainEqual(['systemctl', 'enable', 'ai-ops-runner.service', 'ai-ops-runner-update.timer', 'ai-ops-runner-smoke.timer']);
    expect(plan.smoke).toEqual(['/opt/ai-ops-runner/smoke.sh']);
  });

  it('keeps secrets in /etc/<name>/env (0600), repository credentials apart', () => {
    const env = fileOf(plan, '/etc/ai-ops-runner/env');
    expect(env.mode).toBe('0600');
    expect(envOf(env.content)).toMatchObject({ OPENAI_API_KEY: 'sk-o "x"', REDIS_URL: 'redis://redis:6379/0' });
    expect(env.content).not.toContain('ghp_runner');
    expect(fileOf(plan, '/etc/ai-ops-runner/update.env')).toMatchObject({ mode: '0600', content: expect.stringContaining("GIT_TOKEN='ghp_runner$'") });
    expect(fileOf(plan, '/opt/ai-ops-runner/stack.env').content).not.toMatch(/ghp_|sk-o/);
  });

  it('writes stack.env 0600 (it names the repository) and keeps $ in commands literal for compose', () => {
    const p = render('runner-stack', { ...v1.config, apiCommand: ['sh', '-c', 'echo $HOME ${PATH}'], workerCommand: ['run', '--price=$5'] }, v1.secrets);
    expect(fileOf(p, '/opt/test-runner/stack.env').mode).toBe('0600');
    const doc = parse(fileOf(p, '/opt/test-runner/docker-compose.yml').content);
    expect(doc.services.api.command).toEqual(['sh', '-c', 'echo $$HOME $${PATH}']);
    expect(doc.services.worker.command).toEqual(['run', '--price=$$5']);
  });

  it('uses prebuilt images without a repository, under its own name', () => {
    const p = render('runner-stack', v1.config, v1.secrets);
    const doc = parse(fileOf(p, '/opt/test-runner/docker-compose.yml').content);
    expect(doc.services.api).toMatchObject({ image: 'ghcr.io/acme/runner-api:2', command: ['uvicorn', 'app:api', '--port', '9000'], ports: ['127.0.0.1:9000:9000'] });
    expect(doc.services.worker.image).toBe('ghcr.io/acme/runner-worker:2');
    expect(p.start.flat()).not.toContain('--checkout-only');
    expect(envOf(fileOf(p, '/etc/test-runner/postgres.env').content).POSTGRES_PASSWORD).toBe('pg pass $word #x');
    expect(fileOf(p, '/etc/test-runner/env').content).toContain(`DATABASE_URL='postgresql://runner:${encodeURIComponent('pg pass $word #x')}@postgres:5432/runner'`);
  });

  it('names the fields of bad settings', () => {
    expect(fields(() => render('runner-stack', {}))).toEqual(['config.apiImage']);
    expect(fields(() => render('runner-stack', { name: 'hangar', apiImage: 'x' }))).toEqual(['config.name']);
    for (const name of ['tailscaled', 'systemd-journald', 'dbus', 'chrony', 'apt-daily', 'cloud-final']) expect(fields(() => render('runner-stack', { name, apiImage: 'x' }))).toEqual(['config.name']);
    expect(fields(() => render('runner-stack', { repositoryUrl: 'https://g.example/r.git', apiImage: 'x', branch: '--upload-pack=evil' }))).toEqual(['config.branch', 'config.apiImage']);
    expect(fields(() => render('runner-stack', { apiImage: 'x', environment: { DATABASE_URL: 'x', 'bad-name': 1 } }))).toEqual(['config.environment.bad-name', 'config.environment.DATABASE_URL']);
    expect(fields(() => render('runner-stack', { apiImage: 'x' }, { gitToken: 't' }))).toEqual(['config.gitToken']);
  });
});

describe('compose (user-supplied)', () => {
  it('writes the file verbatim (0600) and its secrets to .env for interpolation', () => {
    const plan = render('compose', { compose: USER_COMPOSE }, { greetingToken: 'hi $there' });
    expect(fileOf(plan, '/opt/app/docker-compose.yml')).toMatchObject({ content: USER_COMPOSE, mode: '0600' });
    expect(fileOf(plan, '/opt/app/.env')).toMatchObject({ mode: '0600', content: expect.stringContaining("GREETING_TOKEN='hi $there'") });
    expect(plan.health).toEqual({ type: 'compose', file: '/opt/app/docker-compose.yml', project: 'app', services: ['web', 'cache'] });
    expect(plan.start[0]).toEqual(['docker', 'compose', '--project-name', 'app', '--project-directory', '/opt/app', '--file', '/opt/app/docker-compose.yml', 'up', '--detach', '--remove-orphans', '--wait', '--wait-timeout', '600']);
  });

  it('rejects an invalid compose file naming config.compose', () => {
    for (const compose of ['services: [web', 'services:\n  web:\n    image: nginx\n    restart_policy: always\n', 'version: "3"\n', 'just text', '']) {
      const f = fields(() => render('compose', { compose }));
      expect(f.length).toBeGreaterThan(0);
      expect(new Set(f)).toEqual(new Set(['config.compose']));
    }
    expect(fields(() => render('compose', {}))).toEqual(['config.compose']);
  });

  it('refuses ports published on every interface unless allowed (Docker bypasses UFW)', () => {
    const open = 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n';
    expect(fields(() => render('compose', { compose: open }))).toEqual(['config.compose']);
    expect(render('compose', { compose: open, allowPublicPorts: true }).kind).toBe('compose');
  });

  it('accepts the top-level name of newer compose files and checks the other settings', () => {
    expect(render('compose', { compose: 'name: shop\nservices:\n  app:\n    image: shop:1\n' }).kind).toBe('compose');
    expect(fields(() => render('compose', { compose: USER_COMPOSE, project: 'Bad Name', healthServices: ['db'], servePort: 443 }))).toEqual([
      'config.project',
      'config.healthServices',
      'config.serveTarget',
    ]);
  });
});

describe('validateWorkloadConfig / completeWorkloadSecrets / redactWorkloadPlan', () => {
  it('validates without rendering for real', () => {
    expect(() => validateWorkloadConfig('compose', { compose: 'services: 3' }, {})).toThrow(ValidationError);
    expect(() => validateWorkloadConfig('agent-manager', {}, {})).not.toThrow();
  });

  it('generates once what the renderers would generate', () => {
    const s = completeWorkloadSecrets('agent-manager', {}, { gitToken: 'g' }, fixedRandom);
    expect(Object.keys(s).sort()).toEqual(['apiKey', 'gitToken', 'postgresPassword']);
    expect(completeWorkloadSecrets('agent-manager', { authenticationType: 'keycloak' }, {}, fixedRandom)).not.toHaveProperty('apiKey');
    expect(Object.keys(completeWorkloadSecrets('openclaw', {}, {}))).toEqual(['gatewayToken']);
    expect(completeWorkloadSecrets('runner-stack', {}, { postgresPassword: 'mine-is-long-enough' }).postgresPassword).toBe('mine-is-long-enough');
    const plan = render('agent-manager', {}, s);
    expect(envOf(fileOf(plan, '/opt/agent-manager/agent-manager.env').content).STATIC_API_KEY).toBe(s.apiKey);
  });

  it('redacts every secret value, URL-encoded ones included', () => {
    for (const kind of KINDS) {
      for (const [i, v] of WORKLOAD_VARIANTS[kind].entries()) {
        const secrets = completeWorkloadSecrets(kind, v.config, v.secrets, fixedRandom);
        const plan = renderWorkload(workloadInput(kind, i), secrets, { randomBytes: fixedRandom });
        const text = JSON.stringify(redactWorkloadPlan(plan, secrets));
        for (const s of Object.values(secrets)) {
          expect(text).not.toContain(JSON.stringify(s).slice(1, -1));
          expect(text).not.toContain(encodeURIComponent(s));
        }
      }
    }
  });
});

describe('envNameOf', () => {
  it('turns camelCase setting names into env names', () => {
    expect(envNameOf('openaiApiKey')).toBe('OPENAI_API_KEY');
    expect(envNameOf('githubToken')).toBe('GITHUB_TOKEN');
    expect(envNameOf('awsSecretAccessKey')).toBe('AWS_SECRET_ACCESS_KEY');
    expect(envNameOf('HTTPProxyPassword')).toBe('HTTP_PROXY_PASSWORD');
  });
});
