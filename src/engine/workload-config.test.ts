import { describe, expect, it } from 'vitest';
import { KINDS, WORKLOAD_VARIANTS, fixedRandom, workloadInput } from '../bootstrap/fixtures.testing.ts';
import type { WorkloadKind, WorkloadPlan } from '../bootstrap/types.ts';
import { completeWorkloadSecrets, redactWorkloadPlan, renderWorkload } from '../bootstrap/workload.ts';
import { splitConfig } from './workload-config.ts';

const INLINE_COMPOSE = `services:
  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_PASSWORD: pg-inline-Pa55word
`;

/** Render from what the API stores: the split config and secrets. */
const renderSplit = (kind: WorkloadKind, input: Record<string, unknown>): WorkloadPlan => {
  const { config, secrets } = splitConfig(kind, input);
  return renderWorkload(workloadInput(kind, 0, { workloadConfig: config }), secrets, { randomBytes: fixedRandom });
};
const fileOf = (plan: WorkloadPlan, path: string) => plan.files.find((f) => f.path === path)?.content ?? '';

describe('splitConfig: by each workload schema, not by names', () => {
  it('openclaw: gatewayToken and every unknown string (an env value) are secret; known fields stay', () => {
    const { config, secrets } = splitConfig('openclaw', { version: '2026.9.3', port: 18790, gatewayToken: 'gw-token-0123456789', openaiApiKey: 'sk-a', telegramBot: '123:abc', exec: true });
    expect(config).toEqual({ version: '2026.9.3', port: 18790, exec: true });
    expect(secrets).toEqual({ gatewayToken: 'gw-token-0123456789', openaiApiKey: 'sk-a', telegramBot: '123:abc' });
  });

  it('agent-manager: seed 001 secrets sealed, names and URLs shown; URL userinfo sealed, config keeps the URL without it', () => {
    const input = {
      authenticationType: 'keycloak',
      keycloakClientId: 'agent-manager',
      keycloakClientSecret: 'kc-s3cret',
      keycloakAuthServerUrl: 'https://sso.example.com/auth',
      gitRepositoryUrl: 'https://bot:ghp_url0123456789abcdef@github.com/acme/agents.git',
      gitUsername: 'bot',
      cursorApiKey: 'cur-key',
      postgresPassword: 'pg-password-123',
    };
    const { config, secrets } = splitConfig('agent-manager', input);
    expect(config).toEqual({ authenticationType: 'keycloak', keycloakClientId: 'agent-manager', keycloakAuthServerUrl: 'https://sso.example.com/auth', gitRepositoryUrl: 'https://github.com/acme/agents.git', gitUsername: 'bot' });
    expect(Object.keys(secrets).sort()).toEqual(['cursorApiKey', 'gitRepositoryUrl', 'keycloakClientSecret', 'postgresPassword']);
    // The renderer recombines: the 0600 env file gets the URL with its credentials.
    const env = fileOf(renderSplit('agent-manager', input), '/opt/agent-manager/agent-manager.env');
    expect(env).toContain("GIT_REPOSITORY_URL='https://bot:ghp_url0123456789abcdef@github.com/acme/agents.git'");
  });

  it('runner-stack: the environment map is sealed whole; repositoryUrl credentials become the update credentials', () => {
    const input = { repositoryUrl: 'https://x-access-token:ghp_url0123456789abcdef@github.com/acme/runner.git', environment: { LOG_LEVEL: 'info', STRIPE_KEY_LIVE: 'rk-env-value' }, openaiApiKey: 'sk-o' };
    const { config, secrets } = splitConfig('runner-stack', input);
    expect(config).toEqual({ repositoryUrl: 'https://github.com/acme/runner.git' });
    expect(Object.keys(secrets).sort()).toEqual(['environment', 'openaiApiKey', 'repositoryUrl']);
    expect(JSON.stringify(config)).not.toMatch(/rk-env-value|ghp_url|LOG_LEVEL/);

    const plan = renderSplit('runner-stack', input);
    const compose = plan.files.find((f) => f.path === '/opt/ai-ops-runner/docker-compose.yml')!;
    expect(compose.mode).toBe('0600');
    expect(compose.content).toContain('STRIPE_KEY_LIVE: rk-env-value');
    // Credentials only in the 0600 update.env, never in stack.env (0644) or the git remote.
    expect(fileOf(plan, '/opt/ai-ops-runner/stack.env')).toContain("REPOSITORY_URL='https://github.com/acme/runner.git'");
    expect(fileOf(plan, '/etc/ai-ops-runner/update.env')).toContain("GIT_TOKEN='ghp_url0123456789abcdef'");
    expect(fileOf(plan, '/etc/ai-ops-runner/update.env')).toContain("GIT_USERNAME='x-access-token'");
    for (const f of plan.files) if (f.mode !== '0600') expect(f.content, f.path).not.toMatch(/ghp_url|rk-env-value|sk-o/);
  });

  it('runner-stack: a token alone in the URL is the token; credentials twice are refused on repositoryUrl', () => {
    const plan = renderSplit('runner-stack', { repositoryUrl: 'https://ghp_alone0123456789abcdef@github.com/a/r.git' });
    expect(fileOf(plan, '/etc/ai-ops-runner/update.env')).toContain("GIT_TOKEN='ghp_alone0123456789abcdef'");
    expect(() => renderSplit('runner-stack', { repositoryUrl: 'https://u:p@github.com/a/r.git', gitToken: 't' })).toThrow(/config\.repositoryUrl/);
  });

  it('compose: the compose file (with its inline password) is sealed whole; other settings stay', () => {
    const { config, secrets } = splitConfig('compose', { compose: INLINE_COMPOSE, project: 'shop', healthServices: ['db'], databasePassword: 'db-pw' });
    expect(config).toEqual({ project: 'shop', healthServices: ['db'] });
    expect(secrets).toEqual({ compose: INLINE_COMPOSE, databasePassword: 'db-pw' });
    const plan = renderSplit('compose', { compose: INLINE_COMPOSE, project: 'shop' });
    expect(plan.files.find((f) => f.path === '/opt/shop/docker-compose.yml')).toMatchObject({ content: INLINE_COMPOSE, mode: '0600' });
  });

  it('process: nothing secret, but a URL with credentials in args is sealed and shown without them', () => {
    const input = { command: '/usr/bin/git', args: ['clone', 'https://u:pw-in-args@h/r.git'], port: 0 };
    const { config, secrets } = splitConfig('process', input);
    expect(config).toEqual({ command: '/usr/bin/git', args: ['clone', 'https://h/r.git'], port: 0 });
    expect(Object.keys(secrets)).toEqual(['args']);
    expect(renderSplit('process', input).process?.args).toEqual(['clone', 'https://u:pw-in-args@h/r.git']);
  });

  it('wrong-shaped or misspelt settings are never left in config', () => {
    expect(splitConfig('agent-manager', { gitTokne: 'ghp_typo', gitToken: { value: 'x' } }).config).toEqual({});
    expect(splitConfig('runner-stack', { environment: 'A=b' }).config).toEqual({});
  });

  it('every fixture renders the same from the split settings as from the originals, with no secret left in config', () => {
    for (const kind of KINDS) {
      for (const [i, v] of WORKLOAD_VARIANTS[kind].entries()) {
        const direct = renderWorkload(workloadInput(kind, i), v.secrets, { randomBytes: fixedRandom });
        const { config, secrets } = splitConfig(kind, { ...v.config, ...v.secrets });
        expect(renderWorkload(workloadInput(kind, i, { workloadConfig: config }), secrets, { randomBytes: fixedRandom }), `${kind} ${i}`).toEqual(direct);
        for (const s of Object.values(v.secrets)) expect(JSON.stringify(config)).not.toContain(s);
      }
    }
  });

  it('a redacted plan shows no sealed value: map values, URL credentials and generated secrets', () => {
    const input = { repositoryUrl: 'https://bot:ghp_url0123456789abcdef@github.com/a/r.git', environment: { APP_SECRET_X: 'env-s3cret-value' } };
    const { config, secrets } = splitConfig('runner-stack', input);
    const complete = completeWorkloadSecrets('runner-stack', config, secrets, fixedRandom);
    const plan = renderWorkload(workloadInput('runner-stack', 0, { workloadConfig: config }), complete, { randomBytes: fixedRandom });
    const shown = JSON.stringify(redactWorkloadPlan(plan, complete));
    for (const s of ['ghp_url0123456789abcdef', 'env-s3cret-value', complete.postgresPassword]) expect(shown).not.toContain(s);
    expect(shown).toContain('https://github.com/a/r.git');
  });
});
