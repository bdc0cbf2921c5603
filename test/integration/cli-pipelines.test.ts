/**
 * The CLI in a pipeline (#16 "CI usage"), the real `hangar` binary against a real Hangar: with
 * `--json` stdout holds exactly one JSON document and the steps go to stderr; the idempotency
 * key from the flag or HANGAR_IDEMPOTENCY_KEY makes a retried create adopt the first instance;
 * the exit codes are the documented ones (0, 1, 2, 124 for --timeout); bad flags create nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliTarget } from '../helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let h: TestHangar;
let t: CliTarget;
beforeAll(async () => {
  h = await startTestHangar('cli-pipelines');
  t = { url: h.url, apiKey: h.apiKey, dataDir: h.dataDir };
});
afterAll(async () => {
  await h?.close();
});

const count = async () => (await h.engine.store.list({ limit: 1000 })).length;
const hangarEnv = (env: Record<string, string>) => ({ ...t, env });

describe('hangar in a pipeline', () => {
  it('create --wait --json: one JSON document on stdout, the steps on stderr, exit 0; rm --wait --json the same', async () => {
    const created = await runCli(t, ['create', '-p', 'local', '--wait', '--json', '--timeout', '120']);
    expect(created.code, created.stderr).toBe(0);
    const inst = JSON.parse(created.stdout) as { id: string; status: string };
    expect(inst.status).toBe('running');
    expect(created.stderr).toMatch(/✔ workload \d/);
    expect(created.stdout).not.toMatch(/✔/);

    const rm = await runCli(t, ['rm', inst.id, '--wait', '--json']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(JSON.parse(rm.stdout)).toMatchObject({ id: inst.id, status: 'stopped' });
    expect(rm.stderr).toMatch(/✔ stopped/);
    // Again on a stopped instance (a retried cleanup step): still 0.
    const again = await runCli(t, ['rm', inst.id, '--wait', '--json']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('the same idempotency key (flag or HANGAR_IDEMPOTENCY_KEY) gives the same instance, not a second one', async () => {
    const key = `ci-run-${Date.now()}`;
    const first = await runCli(t, ['create', '-p', 'local', '--json', '--idempotency-key', key]);
    expect(first.code, first.stderr).toBe(0);
    const before = await count();
    const viaEnv = await runCli(hangarEnv({ HANGAR_IDEMPOTENCY_KEY: key }) as CliTarget, ['create', '-p', 'local', '--json']);
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout).id).toBe(JSON.parse(first.stdout).id);
    expect(await count()).toBe(before);
    const id = JSON.parse(first.stdout).id as string;
    // `hangar open ID --print`: the dashboard page of the instance, by id prefix.
    const open = await runCli(t, ['open', id.slice(0, 8), '--print']);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout.trim()).toBe(`${h.url}/#/instances/${id}`);
    await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
  });

  it('usage errors exit 2 and create nothing; --timeout passing exits 124 and the instance keeps going', async () => {
    const before = await count();
    for (const args of [['--timeout', 'soon', '--wait'], ['--idempotency-key', 'ключ'], ['--timeout', '0', '--wait']]) {
      const r = await runCli(t, ['create', '-p', 'local', '--json', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(JSON.parse(r.stderr).error.detail).toMatch(/--timeout|--idempotency-key/);
    }
    expect(await count()).toBe(before);

    const slow = await runCli(t, ['create', '-p', 'local', '--wait', '--json', '--timeout', '0.05']);
    expect(slow.code, slow.stderr).toBe(124);
    const inst = JSON.parse(slow.stdout) as { id: string };
    await h.waitFor(inst.id, (r) => r.status === 'running');
    const rmTimeout = await runCli(t, ['rm', inst.id, '--wait', '--timeout', 'x']);
    expect(rmTimeout.code).toBe(2);
    expect((await h.engine.store.get(inst.id)).status).toBe('running'); // the bad flag deleted nothing
    await h.api(`/v1/instances/${inst.id}`, { method: 'DELETE' });
  });

  it('--quiet: nothing on stderr, the result only', async () => {
    const r = await runCli(t, ['create', '-p', 'local', '--wait', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const id = (await h.engine.store.list({ limit: 1 }))[0].id;
    const rm = await runCli(t, ['rm', id, '--wait', '-q']);
    expect(rm.code).toBe(0);
    expect(rm.stderr).toBe('');
  });
});
