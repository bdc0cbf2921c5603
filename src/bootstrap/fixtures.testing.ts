/**
 * Sample inputs for the bootstrap tests (unit tests beside the code and the tool-judging tests
 * in test/bootstrap): one instance per workload in two variants, with secrets chosen to be
 * awkward for shells and env files (`$`, quotes, spaces, `#`).
 */
import type { ProviderName } from '../domain/providers.ts';
import { BOOTSTRAP_VERSION } from './cloud-init.ts';
import type { BootstrapInput, BootstrapPath, InstallScriptInput, WorkloadInput, WorkloadKind } from './types.ts';

export const PROVIDERS: ProviderName[] = ['hetzner', 'digital-ocean', 'local'];
export const PATHS: BootstrapPath[] = ['full', 'snapshot'];
export const KINDS: WorkloadKind[] = ['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose'];

export const INSTANCE_ID = '0f0e0d0c-1111-4222-8333-444455556666';
export const SERVER_NAME = 'hangar-demo-0f0e0d0c';
export const TOKEN = 'hgb_T0k3n-one.time_value~abcdefghijklmnopqrstuvwxyz012345';
/** A stand-in sha256 of the agent bundle, for the pin in user-data. */
export const BUNDLE_SHA256 = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);

/** A fixed random source, so generated secrets are the same on every render. */
export const fixedRandom = (n: number) => Buffer.alloc(n, 0x5a);

export function bootstrapInput(over: Partial<BootstrapInput> = {}): BootstrapInput {
  return {
    provider: 'hetzner',
    path: 'full',
    workload: 'process',
    bootstrapVersion: BOOTSTRAP_VERSION,
    bootstrap: { apiUrl: 'https://hangar.example.com', token: TOKEN, instanceId: INSTANCE_ID, serverName: SERVER_NAME },
    tailscale: true,
    agentBundleSha256: BUNDLE_SHA256,
    ...over,
  };
}

/** An install script's input: an openclaw instance on hetzner, full path, with an identity. */
export function installInput(over: Partial<InstallScriptInput> = {}): InstallScriptInput {
  return {
    provider: 'hetzner',
    path: 'full',
    workload: 'openclaw',
    bootstrapVersion: 'v1-test',
    bootstrap: { apiUrl: 'https://hangar.example.com', instanceId: INSTANCE_ID, serverName: SERVER_NAME },
    agentBundleSha256: BUNDLE_SHA256,
    ...over,
  };
}

export const USER_COMPOSE = `# a user's compose file
services:
  web:
    image: nginx:1.27-alpine
    ports:
      - "127.0.0.1:8080:80"
    environment:
      GREETING: \${GREETING:-hello}
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://127.0.0.1/"]
      interval: 30s
  cache:
    image: redis:7-alpine
volumes:
  data: {}
`;

/** Settings (config + secrets) per workload, two variants each. */
export const WORKLOAD_VARIANTS: Record<WorkloadKind, { config: Record<string, unknown>; secrets: Record<string, string> }[]> = {
  process: [{ config: {}, secrets: {} }, { config: { command: '/usr/bin/python3', args: ['-m', 'http.server', '{port}'], port: 0 }, secrets: {} }],
  openclaw: [
    { config: {}, secrets: { anthropicApiKey: 'sk-ant-$HOME "quoted" #1' } },
    { config: { version: '2026.9.3', port: 18790, servePort: 8443 }, secrets: { gatewayToken: "tok-it's-a-long-token", telegramBotToken: '123:abc' } },
  ],
  'agent-manager': [
    {
      config: { authenticationType: 'api_key', gitRepositoryUrl: 'https://github.com/acme/agents.git', gitUsername: 'bot user', agentWsPort: 8080 },
      secrets: { gitToken: 'ghp_$ecret`x`', cursorApiKey: 'key_#1 "q"' },
    },
    {
      config: { authenticationType: 'keycloak', keycloakClientId: 'agent-manager', keycloakRealm: 'acme', keycloakAuthServerUrl: 'https://sso.example.com/auth', agentWsPort: 9090, agentDefaultImage: 'ghcr.io/acme/worker:1.2' },
      secrets: { keycloakClientSecret: "kc-secret-it's", gitPassword: 'p@ss word' },
    },
  ],
  'runner-stack': [
    { config: { repositoryUrl: 'https://github.com/acme/ai-ops-runner.git', branch: 'main', environment: { LOG_LEVEL: 'info', PRICE: '$5' } }, secrets: { gitToken: 'ghp_runner$', openaiApiKey: 'sk-o "x"' } },
    { config: { name: 'test-runner', apiImage: 'ghcr.io/acme/runner-api:2', workerImage: 'ghcr.io/acme/runner-worker:2', apiCommand: ['uvicorn', 'app:api', '--port', '9000'], apiPort: 9000, reviewGate: false }, secrets: { postgresPassword: 'pg pass $word #x' } },
  ],
  compose: [
    { config: { compose: USER_COMPOSE, servePort: 443, serveTarget: 8080 }, secrets: { greetingToken: 'hi $there' } },
    { config: { compose: 'services:\n  app:\n    image: ghcr.io/acme/app:1\n', project: 'acme-app', healthServices: ['app'] }, secrets: {} },
  ],
};

export function workloadInput(kind: WorkloadKind, variant = 0, over: Partial<WorkloadInput> = {}): WorkloadInput {
  return { id: INSTANCE_ID, serverName: SERVER_NAME, workload: kind, workloadConfig: WORKLOAD_VARIANTS[kind][variant].config, tailscale: variant === 0, ...over };
}
