/**
 * Workload secrets, end to end: runner-stack, compose and agent-manager instances created through
 * the API (a dry run, then for real on the Hetzner emulator, whose servers "boot" into a hook that
 * lets the test enroll in the agent's place). Every secret value (a runner-stack `environment`
 * value, credentials in a repository URL, a password inline in a compose file, a free-form env
 * secret) must be absent from the API's instance JSON, the events, the dry run, the user-data and
 * every row of the database, and delivered whole at enrollment.
 */
import { sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import type { BootServer } from '../emulators/boot.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

const S = {
  runnerEnv: 'env-value-S3cret-4711',
  runnerRepoToken: 'ghp_RunnerRepoToken0123456789ab',
  runnerOpenai: 'sk-openai-Runner0123456789abcd',
  composeInline: 'compose-inline-Pa55word-815',
  composeExtra: 'compose-extra-value-2342',
  amApiKey: 'am-api-key-0123456789abcdefgh',
  amUrlPass: 'am-url-pass-value-9876',
  amGitToken: 'ghp_AgentGitToken0123456789abcd',
};
const ALL = Object.values(S);

const COMPOSE = `services:
  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_PASSWORD: ${S.composeInline}
      POSTGRES_USER: shop
`;

const CASES = [
  {
    workload: 'runner-stack',
    config: {
      repositoryUrl: `https://x-access-token:${S.runnerRepoToken}@github.com/acme/runner.git`,
      environment: { APP_MODE: 'production', APP_SIGNING_VALUE: S.runnerEnv },
      openaiApiKey: S.runnerOpenai,
    },
    shown: { repositoryUrl: 'https://github.com/acme/runner.git' },
    sealed: ['environment', 'openaiApiKey', 'postgresPassword', 'repositoryUrl'],
    delivered: [S.runnerEnv, S.runnerRepoToken, S.runnerOpenai],
  },
  {
    workload: 'compose',
    config: { compose: COMPOSE, project: 'shop', dbPassword: S.composeExtra },
    shown: { project: 'shop' },
    sealed: ['compose', 'dbPassword'],
    delivered: [S.composeInline, S.composeExtra],
  },
  {
    workload: 'agent-manager',
    config: { apiKey: S.amApiKey, gitRepositoryUrl: `https://bot:${S.amUrlPass}@git.example.com/acme/agents.git`, gitToken: S.amGitToken, gitUsername: 'bot' },
    shown: { gitRepositoryUrl: 'https://git.example.com/acme/agents.git', gitUsername: 'bot' },
    sealed: ['apiKey', 'gitRepositoryUrl', 'gitToken', 'postgresPassword'],
    delivered: [S.amApiKey, S.amUrlPass, S.amGitToken],
  },
] as const;

let hz: HetznerEmulator;
let h: TestHangar;
/** Servers that booted, by instance id: the test enrolls in their agent's place. */
const booted = new Map<string, BootServer>();

beforeAll(async () => {
  hz = await startHetznerEmulator({
    tokens: '*',
    bootDelayMs: 50,
    actionDelayMs: 20,
    boot: async (server) => {
      booted.set(server.bootstrap.instanceId, server);
      return { stop: async () => {} };
    },
  });
  const reg = providersFromEnv({ HETZNER_API_TOKEN: `hz-${randomUUID()}`, HCLOUD_ENDPOINT: hz.baseUrl, HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' }, { hetzner: { rest: { backoff: { baseMs: 100, maxMs: 1000 } } } });
  expect(reg.warnings).toEqual([]);
  h = await startTestHangar('secrets', { reconcileSeconds: 0 }, { providers: reg.providers, tailnet: null });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await hz?.stop();
});

/** The secret values found in a text (none: []). */
const leaked = (text: string) => ALL.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));

/** Every row of every table (ours and the job queue's), as JSON text. */
async function databaseText(): Promise<string> {
  const db = h.engine.store.db;
  const tables = (await db.execute(sql`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)) as unknown as { rows: { s: string; t: string }[] };
  const parts: string[] = [];
  for (const { s, t } of tables.rows) {
    const rows = (await db.execute(sql.raw(`SELECT row_to_json(x)::text AS j FROM "${s}"."${t}" x`))) as unknown as { rows: { j: string }[] };
    parts.push(...rows.rows.map((r) => r.j));
  }
  return parts.join('\n');
}

describe('workload secrets are sealed by schema, never shown', () => {
  for (const c of CASES) {
    it(`${c.workload}: dry run, create, get, list, events, user-data and database hold no secret; enrollment delivers them`, async () => {
      const body = { provider: 'hetzner', name: `secrets ${c.workload}`, workload: c.workload, config: c.config, onFailure: 'keep' };

      const dry = await h.api('/v1/instances?dryRun=true', { method: 'POST', json: body });
      const dryText = await dry.text();
      expect(dry.status, dryText).toBe(200);
      expect(leaked(dryText)).toEqual([]);
      const plan = JSON.parse(dryText) as { config: Record<string, unknown>; secrets: string[] };
      expect(plan.config).toEqual(c.shown);
      expect(plan.secrets).toEqual(c.sealed.filter((n) => n !== 'postgresPassword'));

      const created = await h.api('/v1/instances', { method: 'POST', json: body });
      const createdText = await created.text();
      expect(created.status, createdText).toBe(201);
      expect(leaked(createdText)).toEqual([]);
      const inst = JSON.parse(createdText) as { id: string; config: Record<string, unknown>; secrets: string[] };
      expect(inst.config).toEqual(c.shown);
      expect(inst.secrets).toEqual(c.sealed);

      // The server boots with user-data that carries only the one-time token; the test enrolls.
      const row = await h.waitFor(inst.id, (r) => booted.has(r.id) || r.status === 'failed', 30_000);
      expect(row.status, row.failureReason ?? '').toBe('provisioning');
      const server = booted.get(inst.id)!;
      expect(leaked(server.userData)).toEqual([]);
      const enroll = await fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: server.bootstrap.token, hostname: server.name }) });
      expect(enroll.status).toBe(200);
      const delivered = JSON.stringify((await enroll.json()).workload);
      for (const s of c.delivered) expect(delivered, s).toContain(s);

      for (const path of [`/v1/instances/${inst.id}`, '/v1/instances', `/v1/instances/${inst.id}/events`, '/v1/events']) {
        const res = await h.api(path);
        const text = await res.text();
        expect(res.status, path).toBe(200);
        expect(leaked(text), path).toEqual([]);
      }
      const events = (await (await h.api(`/v1/instances/${inst.id}/events`)).json()) as { items: { reason: string }[] };
      expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/enrolled/)]));

      // At rest: config without secrets, the sealed column not plaintext, no secret in any row.
      const db = h.engine.store.db;
      const stored = (await db.execute(sql`SELECT workload_config::text AS config, secrets_sealed AS sealed FROM instances WHERE id = ${inst.id}`)) as unknown as { rows: { config: string; sealed: string | null }[] };
      expect(JSON.parse(stored.rows[0].config)).toEqual(c.shown);
      expect(stored.rows[0].sealed).toBeTruthy();
      expect(leaked(stored.rows[0].sealed!)).toEqual([]);
      expect(stored.rows[0].sealed).not.toMatch(/environment|repositoryUrl|compose/);
      expect(leaked(await databaseText())).toEqual([]);

      expect((await h.api(`/v1/instances/${inst.id}`, { method: 'DELETE' })).status).toBe(202);
      await h.waitFor(inst.id, (r) => r.status === 'stopped', 60_000);
      expect(leaked(await databaseText())).toEqual([]);
    });
  }
});
