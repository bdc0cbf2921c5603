/**
 * Randomized inputs (fast-check): every accepted input renders to artifacts the real tools accept;
 * every refused one is refused with a ValidationError naming its fields. The cheap invariants run
 * as properties (100 runs); the tool judges run over a sample of 20 inputs in a few batched calls.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ValidationError } from '../../src/domain/errors.ts';
import { BOOTSTRAP_VERSION, renderSnapshotBuilderUserData, renderUserData } from '../../src/bootstrap/cloud-init.ts';
import { extractBootstrap, extractSnapshotBuild } from '../../src/bootstrap/extract.testing.ts';
import { BUNDLE_SHA256, fixedRandom } from '../../src/bootstrap/fixtures.testing.ts';
import { INSTALL_SCRIPT_PATH, renderInstallScript } from '../../src/bootstrap/install-script.ts';
import type { BootstrapInput, WorkloadKind, WorkloadPlan } from '../../src/bootstrap/types.ts';
import { renderWorkload } from '../../src/bootstrap/workload.ts';
import { composeSpec, removeScratchDirs } from '../tools/judges.ts';
import { materialiseAll, type Case, type Server } from './artifacts.ts';
import { judgeCloudInit, judgeCompose, judgeEnvFiles, judgeFail2ban, judgeShellcheck, judgeSshd, judgeSystemd, judgeUfw } from './judge.ts';

afterAll(removeScratchDirs);

const SEED = Number(process.env.HANGAR_FC_SEED ?? 20_240_601);

/** Characters that break naive quoting in shells, YAML, env files and systemd. */
const nasty = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'aZ09 -_./:@+=,$`"\'\\#;&|<>(){}*?~!%^[]\t'.split('')), minLength: min, maxLength: max });

const arbBootstrap: fc.Arbitrary<BootstrapInput> = fc.record({
  provider: fc.constantFrom('hetzner', 'digital-ocean', 'local') as fc.Arbitrary<BootstrapInput['provider']>,
  path: fc.constantFrom('full', 'snapshot') as fc.Arbitrary<BootstrapInput['path']>,
  workload: fc.constantFrom('process', 'openclaw', 'agent-manager', 'runner-stack', 'compose') as fc.Arbitrary<WorkloadKind>,
  bootstrapVersion: fc.oneof(fc.constant(BOOTSTRAP_VERSION), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/)),
  bootstrap: fc.record({
    apiUrl: fc.stringMatching(/^https?:\/\/[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?(\.[a-z]{2,6}){0,2}(:[1-9][0-9]{1,3})?(\/[A-Za-z0-9._~!&()*+,;=@:-]{0,12}){0,3}$/),
    token: fc.stringMatching(/^hgb_[A-Za-z0-9_.~-]{8,60}$/),
    instanceId: fc.uuid(),
    serverName: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/),
  }),
  keepSsh: fc.boolean(),
  tailscale: fc.boolean(),
  agentBundleSha256: fc.constant(BUNDLE_SHA256),
  sshAuthorizedKeys: fc.array(
    fc.tuple(fc.stringMatching(/^[A-Za-z0-9+/]{20,60}={0,2}$/), fc.string({ unit: fc.constantFrom(...'ab@.- #:"\'{}[]&*!|>%'.split('')), maxLength: 20 })).map(([b, c]) => `ssh-ed25519 ${b}${c.trim() ? ` ${c.trim()}` : ''}`),
    { maxLength: 2 },
  ),
});

const port = fc.integer({ min: 1024, max: 65535 });
const secretsOf = (names: string[]) => fc.dictionary(fc.constantFrom(...names), nasty(16, 40), { maxKeys: 4 });

const arbWorkload: Record<WorkloadKind, fc.Arbitrary<{ config: Record<string, unknown>; secrets: Record<string, string> }>> = {
  process: fc.constant({ config: {}, secrets: {} }),
  openclaw: fc.record({
    config: fc.record({ version: fc.constantFrom('latest', 'next', '2026.9.3'), port, servePort: fc.constantFrom(443, 8443, 10000) }, { requiredKeys: [] }),
    secrets: secretsOf(['gatewayToken', 'anthropicApiKey', 'openaiApiKey', 'telegramBotToken', 'discordBotToken']),
  }),
  'agent-manager': fc.oneof(
    fc.record({
      config: fc.record({ authenticationType: fc.constant('api_key'), gitUsername: nasty(1, 20), gitRepositoryUrl: fc.constant('https://git.example.com/a/b.git'), agentWsPort: port.filter((p) => p !== 3000), publicPorts: fc.boolean() }, { requiredKeys: ['authenticationType'] }),
      secrets: secretsOf(['apiKey', 'gitToken', 'gitPassword', 'cursorApiKey', 'postgresPassword']),
    }),
    fc.record({
      config: fc.record({ authenticationType: fc.constant('keycloak'), keycloakClientId: nasty(1, 20), keycloakRealm: fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/), keycloakAuthServerUrl: fc.constant('https://sso.example.com/auth') }),
      secrets: fc.record({ keycloakClientSecret: nasty(8, 40), cursorApiKey: nasty(8, 40) }),
    }),
  ),
  'runner-stack': fc.record({
    config: fc.oneof(
      fc.record({ name: fc.stringMatching(/^r[a-z0-9-]{0,20}[a-z0-9]$/), repositoryUrl: fc.constant('https://git.example.com/acme/runner.git'), branch: fc.stringMatching(/^[a-z][a-z0-9/_-]{0,20}$/), reviewGate: fc.boolean(), apiPort: port, environment: fc.dictionary(fc.stringMatching(/^APP_[A-Z0-9_]{1,10}$/), nasty(0, 20), { maxKeys: 3 }) }, { requiredKeys: ['repositoryUrl'] }),
      fc.record({ apiImage: fc.constantFrom('ghcr.io/acme/api:1', 'registry.example.com:5000/team/api@sha256:' + 'a'.repeat(64)), healthPath: fc.stringMatching(/^\/[a-z0-9/_-]{0,20}$/), apiCommand: fc.array(nasty(1, 10), { maxLength: 3 }) }, { requiredKeys: ['apiImage'] }),
    ),
    secrets: secretsOf(['postgresPassword', 'openaiApiKey', 'slackToken', 'gitToken']),
  }),
  compose: fc
    .record({
      services: fc.dictionary(
        fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/),
        fc.record(
          {
            image: fc.constantFrom('nginx:1.27', 'redis:7-alpine', 'ghcr.io/acme/app:1'),
            ports: fc.array(fc.tuple(port, fc.integer({ min: 1, max: 65535 })).map(([h, c]) => `127.0.0.1:${h}:${c}`), { maxLength: 2 }),
            environment: fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/), nasty(0, 20), { maxKeys: 3 }),
            command: fc.array(nasty(1, 10), { maxLength: 3 }),
          },
          { requiredKeys: ['image'] },
        ),
        { minKeys: 1, maxKeys: 3 },
      ),
      secrets: secretsOf(['dbPassword', 'apiToken', 'sessionSecret']),
    })
    .map(({ services, secrets }) => ({ config: { compose: stringify({ services }) }, secrets })),
};

const arbCase = arbBootstrap.chain((input) => arbWorkload[input.workload].map((w) => ({ input, ...w })));

/** Render, or return the ValidationError's fields. */
function attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false; fields: string[] } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { ok: false, fields: (err.errors ?? []).map((e) => e.field) };
  }
}

const workloadOf = (c: { input: BootstrapInput; config: Record<string, unknown>; secrets: Record<string, string> }) =>
  renderWorkload({ id: c.input.bootstrap.instanceId, serverName: c.input.bootstrap.serverName, workload: c.input.workload, workloadConfig: c.config, tailscale: c.input.tailscale ?? false }, c.secrets, { randomBytes: fixedRandom });

describe('randomized bootstrap inputs: invariants (100 runs each)', () => {
  it('user-data: extractable, lossless, deterministic, within the limit, carrying only the token', () => {
    fc.assert(
      fc.property(arbBootstrap, (input) => {
        const r = attempt(() => renderUserData(input));
        if (!r.ok) {
          expect(r.fields.length).toBeGreaterThan(0);
          for (const f of r.fields) expect(f).toMatch(/^(bootstrap\.apiUrl|publicUrl|sshAuthorizedKeys\.\d|userData)$/);
          return;
        }
        const ud = r.value;
        expect(renderUserData(structuredClone(input))).toBe(ud);
        expect(extractBootstrap(ud)).toEqual(input.bootstrap);
        const written = (parse(ud) as { write_files: { path: string; content: string }[] }).write_files.find((f) => f.path === INSTALL_SCRIPT_PATH)!.content;
        expect(written).toBe(renderInstallScript(input));
        expect(ud.split(input.bootstrap.token)).toHaveLength(2);
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('workloads: accepted plans are deterministic with schema-valid compose files; refusals name config fields', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const r = attempt(() => workloadOf(c));
        if (!r.ok) {
          expect(r.fields.length).toBeGreaterThan(0);
          for (const f of r.fields) expect(f).toMatch(/^config\./);
          return;
        }
        expect(JSON.stringify(workloadOf(structuredClone(c)))).toBe(JSON.stringify(r.value));
        for (const f of r.value.files) {
          expect(f.path).toMatch(/^\/[A-Za-z0-9._/-]+$/);
          if (/docker-compose\.yml$/.test(f.path)) expect(composeSpec(parse(f.content))).toEqual([]);
        }
      }),
      { numRuns: 100, seed: SEED },
    );
  });
});

describe('randomized bootstrap inputs judged by real tools (20 samples)', () => {
  let servers: Server[];
  let secretValues: string[];

  beforeAll(async () => {
    const cases: Case[] = [];
    secretValues = [];
    let tries = 0;
    for (const c of fc.sample(arbCase, { numRuns: 200, seed: SEED })) {
      tries++;
      const ud = attempt(() => renderUserData(c.input));
      const plan = attempt<WorkloadPlan>(() => workloadOf(c));
      if (!ud.ok || !plan.ok) continue;
      cases.push({ label: `r${cases.length}-${c.input.provider}-${c.input.path}-${c.input.workload}`, userData: ud.value, plan: plan.value, install: c.input, execute: cases.length % 4 === 0 });
      secretValues.push(...Object.values(c.secrets));
      if (cases.length === 20) break;
    }
    expect(cases.length, `only ${cases.length} of ${tries} samples rendered`).toBe(20);
    for (const buildToken of fc.sample(fc.stringMatching(/^[A-Za-z0-9_.~-]{8,40}$/), { numRuns: 2, seed: SEED })) {
      const ud = renderSnapshotBuilderUserData({ provider: 'hetzner', bootstrapVersion: BOOTSTRAP_VERSION, apiUrl: 'https://hangar.example.com:8443/base', buildId: 'b-2', buildToken, agentBundleSha256: BUNDLE_SHA256 });
      expect(extractSnapshotBuild(ud)?.buildToken).toBe(buildToken);
      cases.push({ label: `builder-${cases.length}`, userData: ud });
    }
    servers = await materialiseAll(cases, 'random');
  });

  it('cloud-init schema, shellcheck, systemd-analyze verify, compose-spec', async () => {
    expect(await judgeCloudInit(servers)).toBe(22);
    expect(await judgeShellcheck(servers)).toBeGreaterThanOrEqual(20);
    await judgeSystemd(servers);
    await judgeCompose(servers);
  });

  it('ufw, fail2ban-client -t, sshd -t', async () => {
    const full = servers.filter((s) => /-full-|builder/.test(s.label));
    expect(full.length).toBeGreaterThan(0);
    expect(await judgeUfw(full, { apply: false })).toBeGreaterThanOrEqual(1);
    expect(await judgeFail2ban(full)).toBe(1);
    expect(await judgeSshd(full)).toBe(1);
  });

  it('env files read back every random secret literally', async () => {
    await judgeEnvFiles(servers, secretValues);
  });
});
