import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('cli-tenancy');
});
afterAll(async () => {
  await h?.close();
});

describe('hangar project / keys', () => {
  it('creates a project, mints a key in it with --project (shown once), lists and revokes it', async () => {
    expect((await runCli(h, ['project', 'create', 'team-a'])).code).toBe(0);
    const made = await runCli(h, ['keys', 'create', '--project', 'team-a', '--role', 'operator', '--name', 'ci', '--expires', '90d']);
    expect(made.code, made.stderr).toBe(0);
    const key = /\b(hgr_[A-Za-z0-9_-]{20,})/.exec(made.stdout)?.[1];
    expect(key).toBeDefined();
    expect(made.stdout).toMatch(/operator in team-a, expires/);
    const ls = await runCli(h, ['keys', 'ls', '--project', 'team-a']);
    expect(ls.stdout).toMatch(/ci\s+operator\s+team-a/);
    expect(ls.stdout).not.toContain(key!);
    // The scoped key acts in its own project: HANGAR_PROJECT naming another is a 404, not a 403.
    const asCi = { ...h, apiKey: key! };
    expect((await runCli(asCi, ['ls'])).code).toBe(0);
    const other = await runCli(asCi, ['ls', '--project', 'default']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/x-hangar-project/);
    const refused = await runCli(asCi, ['keys', 'create', '--role', 'viewer', '--name', 'x']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs the owner role/);
    const id = (JSON.parse((await runCli(h, ['keys', 'ls', '--project', 'team-a', '--json'])).stdout) as { id: string; name: string }[]).find((k) => k.name === 'ci')!.id;
    expect((await runCli(h, ['keys', 'revoke', id, '--project', 'team-a'])).code).toBe(0);
    expect((await runCli(asCi, ['ls'])).code).toBe(1);
    const bad = await runCli(h, ['keys', 'create', '--role', 'viewer', '--name', 'x', '--expires', '5y']);
    expect(bad.code).toBe(2);
    expect((await runCli(h, ['project', 'ls'])).stdout).toMatch(/team-a/);
    expect((await runCli(h, ['project', 'rm', 'team-a'])).code).toBe(0);
  }, 120_000);
});
