import { describe, expect, it } from 'vitest';
import { buildConfig, initialSettings, settingForError, visibleSettings, WORKLOAD_SETTINGS } from './workloads.ts';

describe('buildConfig', () => {
  it('sends only filled, visible settings, typed as the renderers read them', () => {
    const { config, errors } = buildConfig('process', { command: '{node}', args: ' server.js  --port {port} ', port: '8080', healthPath: '' });
    expect(errors).toEqual({});
    expect(config).toEqual({ command: '{node}', args: ['server.js', '--port', '{port}'], port: 8080 });
  });

  it('keeps seed 001’s agent-manager field names and hides what the auth type does not use', () => {
    const cfg = { ...initialSettings('agent-manager'), apiKey: 'k'.repeat(20), keycloakClientId: 'stale', gitRepositoryUrl: 'https://github.com/acme/ws.git', cursorApiKey: 'cur_x' };
    expect(buildConfig('agent-manager', cfg).config).toEqual({ authenticationType: 'api_key', apiKey: 'k'.repeat(20), gitRepositoryUrl: 'https://github.com/acme/ws.git', cursorApiKey: 'cur_x' });
    const keycloak = { ...cfg, authenticationType: 'keycloak', keycloakClientId: '' };
    const { config, errors } = buildConfig('agent-manager', keycloak);
    expect(config).not.toHaveProperty('apiKey');
    expect(errors).toEqual({ 'config.keycloakClientId': 'Keycloak client ID is required', 'config.keycloakClientSecret': 'Keycloak client secret is required' });
    expect(WORKLOAD_SETTINGS['agent-manager'].map((d) => d.key)).toEqual(
      expect.arrayContaining(['authenticationType', 'apiKey', 'keycloakClientId', 'keycloakClientSecret', 'keycloakRealm', 'keycloakAuthServerUrl', 'gitRepositoryUrl', 'gitUsername', 'gitToken', 'gitPassword', 'cursorApiKey', 'agentDefaultImage']),
    );
  });

  it('spreads secret pairs as top-level settings and groups environment lines', () => {
    const oc = buildConfig('openclaw', { secrets: 'anthropicApiKey=sk-ant-1\n# comment\n\nopenaiApiKey = sk-2' });
    expect(oc).toEqual({ config: { anthropicApiKey: 'sk-ant-1', openaiApiKey: 'sk-2' }, errors: {} });
    expect(buildConfig('openclaw', { secrets: 'region=eu' }).errors['config.secrets']).toMatch(/line 1: region must end in Key/);
    expect(buildConfig('openclaw', { secrets: 'no equals' }).errors['config.secrets']).toMatch(/expected name=value/);
    const rs = buildConfig('runner-stack', { repositoryUrl: 'https://github.com/acme/r.git', environment: 'LOG_LEVEL=info\nA_B=c=d' });
    expect(rs.config).toEqual({ repositoryUrl: 'https://github.com/acme/r.git', environment: { LOG_LEVEL: 'info', A_B: 'c=d' } });
  });

  it('keeps a compose file verbatim and sends booleans only when on', () => {
    const yaml = 'services:\n  app:\n    image: nginx\n';
    expect(buildConfig('compose', { compose: yaml, allowPublicPorts: 'true' }).config).toEqual({ compose: yaml, allowPublicPorts: true });
    expect(buildConfig('compose', { compose: yaml, allowPublicPorts: '' }).config).toEqual({ compose: yaml });
    expect(buildConfig('compose', {}).errors).toEqual({ 'config.compose': 'docker-compose.yml is required' });
  });

  it('catches a port that is not a number before the request', () => {
    expect(buildConfig('openclaw', { port: 'abc' }).errors).toEqual({ 'config.port': 'a whole number from 0 to 65535' });
  });
});

describe('settingForError', () => {
  it('puts each API error next to the setting it is about', () => {
    expect(settingForError('agent-manager', { authenticationType: 'api_key' }, 'config.apiKey')).toBe('config.apiKey');
    expect(settingForError('runner-stack', {}, 'config.environment.PATH')).toBe('config.environment');
    expect(settingForError('openclaw', {}, 'config.anthropicApiKey')).toBe('config.secrets');
    expect(settingForError('process', {}, 'config.anthropicApiKey')).toBeNull();
    expect(settingForError('process', {}, 'name')).toBeNull();
    // A hidden setting's error is not attached to a field the user cannot see.
    expect(settingForError('agent-manager', { authenticationType: 'api_key' }, 'config.keycloakRealm')).toBeNull();
    expect(visibleSettings('agent-manager', { authenticationType: 'keycloak' }).map((d) => d.key)).toContain('keycloakRealm');
  });
});
