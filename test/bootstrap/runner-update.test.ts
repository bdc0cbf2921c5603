/**
 * The runner-stack self-update (seed 004's review gate) run for real: a local git "origin", the
 * rendered update.sh and stack.env, and a stub `docker` on PATH that records its calls and can be
 * told to fail. Checks fail-closed on unreviewed commits, deploy on approved ones, rollback on a
 * failing `docker compose up`.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRunnerStackWorkload } from '../../src/bootstrap/runner-stack.ts';
import { fixedRandom, workloadInput } from '../../src/bootstrap/fixtures.testing.ts';
import { removeScratchDirs, report, run, scratchDir } from '../tools/judges.ts';

afterAll(removeScratchDirs);

let base: string;
let origin: string;
let work: string;
let stack: string;
let env: NodeJS.ProcessEnv;

const git = async (cwd: string, ...args: string[]) => {
  const r = await run(['git', '-C', cwd, ...args], { env });
  if (r.code !== 0) throw new Error(report(r));
  return r.stdout.trim();
};
async function commit(files: Record<string, string>, message: string): Promise<string> {
  for (const [p, c] of Object.entries(files)) {
    await mkdir(join(work, p, '..'), { recursive: true });
    await writeFile(join(work, p), c);
  }
  await git(work, 'add', '-A');
  await git(work, 'commit', '-q', '-m', message);
  await git(work, 'push', '-q', 'origin', 'HEAD:main');
  return git(work, 'rev-parse', 'HEAD');
}
const stamp = (sha: string) => commit({ 'docs/LAST_REVIEWED_SHA.txt': `${sha}\n` }, `review stamp for ${sha}`);
const update = (...args: string[]) => run(['bash', join(stack, 'update.sh'), ...args], { env });
const deployed = () => git(join(stack, 'src'), 'rev-parse', 'HEAD');
const dockerCalls = async () => (await readFile(join(base, 'docker.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

beforeAll(async () => {
  base = await scratchDir('update');
  origin = join(base, 'origin.git');
  work = join(base, 'work');
  stack = join(base, 'stack');
  const bin = join(base, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'docker'), `#!/bin/bash\necho "$*" >>"${base}/docker.log"\nif [[ "$*" == *" up "* && -e "${base}/fail-up" ]]; then exit 1; fi\nexit 0\n`);
  await chmod(join(bin, 'docker'), 0o755);
  env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: base,
    LOG_DIR: join(base, 'logs'),
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  await run(['git', 'init', '-q', '--bare', '-b', 'main', origin], { env });
  await run(['git', 'init', '-q', '-b', 'main', work], { env });
  await git(work, 'remote', 'add', 'origin', origin);

  const plan = renderRunnerStackWorkload(workloadInput('runner-stack', 0, { workloadConfig: { repositoryUrl: 'https://git.example.com/acme/runner.git' } }), {}, fixedRandom);
  await mkdir(stack);
  for (const f of plan.files.filter((x) => x.path.startsWith('/opt/ai-ops-runner/'))) {
    let content = f.content;
    if (f.path.endsWith('stack.env')) content = content.replace(/^REPOSITORY_URL=.*$/m, `REPOSITORY_URL='${origin}'`).replace(/^UPDATE_ENV_FILE=.*$/m, `UPDATE_ENV_FILE='${base}/none.env'`);
    await writeFile(join(stack, f.path.split('/').pop()!), content, { mode: parseInt(f.mode, 8) });
  }
});

describe('runner-stack update.sh (review-gated self-update)', () => {
  it('refuses a first deploy nothing approves, then checks out the approved commit', async () => {
    const c1 = await commit({ 'app.py': 'v1\n' }, 'v1');
    const refused = await update('--checkout-only');
    expect(refused.code, report(refused)).toBe(1);
    expect(refused.stderr).toMatch(/not approved .* nothing is deployed yet/);
    const s1 = await stamp(c1);
    const ok = await update('--checkout-only');
    expect(ok.code, report(ok)).toBe(0);
    expect(await deployed()).toBe(s1);
    expect(await dockerCalls()).toEqual([]);
  });

  it('fails closed on an unreviewed commit and stays where it is', async () => {
    const before = await deployed();
    await commit({ 'app.py': 'v2 unreviewed\n' }, 'v2');
    const r = await update();
    expect(r.code, report(r)).toBe(0);
    expect(r.stderr).toMatch(/is not approved .* staying on/);
    expect(await deployed()).toBe(before);
  });

  it('deploys an approved commit with docker compose up --build', async () => {
    const c3 = await commit({ 'app.py': 'v3\n' }, 'v3');
    const s3 = await stamp(c3);
    const r = await update();
    expect(r.code, report(r)).toBe(0);
    expect(await deployed()).toBe(s3);
    expect((await dockerCalls()).at(-1)).toBe('compose up --detach --remove-orphans --build --wait --wait-timeout 600');
  });

  it('does not take a stamp commit that also changes code', async () => {
    const before = await deployed();
    const c4 = await commit({ 'app.py': 'v4\n' }, 'v4');
    await commit({ 'docs/LAST_REVIEWED_SHA.txt': `${c4}\n`, 'app.py': 'v4 + sneaky change\n' }, 'stamp plus code');
    const r = await update();
    expect(r.code, report(r)).toBe(0);
    expect(await deployed()).toBe(before);
  });

  it('rolls back when docker compose up fails', async () => {
    const before = await deployed();
    const c5 = await commit({ 'app.py': 'v5 broken\n' }, 'v5');
    const s5 = await stamp(c5);
    expect(s5).not.toBe(before);
    await writeFile(join(base, 'fail-up'), '');
    const calls = (await dockerCalls()).length;
    const r = await update();
    expect(r.code, report(r)).toBe(1);
    expect(r.stderr).toMatch(/rolling back to/);
    expect(await deployed()).toBe(before);
    expect((await dockerCalls()).length).toBe(calls + 2);
  });
});
