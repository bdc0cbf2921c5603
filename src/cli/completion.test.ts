import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from './program.ts';

/** Run the CLI in-process, collecting stdout. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(args, { stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream, env: { NO_COLOR: '1' } });
  return { code, out, err };
}

const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'hangar-completion-'));

describe('hangar completion', () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    it.skipIf(!has(shell))(`${shell}: the script passes ${shell} -n and names every command and create's flags`, async () => {
      const r = await cli(['completion', shell]);
      expect(r.code, r.err).toBe(0);
      for (const word of ['create', 'inventory', 'open', 'completion', 'rm', 'provider', 'idempotency-key', 'hetzner']) expect(r.out).toContain(word);
      const file = join(dir, `hangar.${shell}`);
      writeFileSync(file, r.out);
      const check = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
    });
  }

  it('bash: completes commands, then the flags and the choices of a flag', async () => {
    const file = join(dir, 'complete.bash');
    writeFileSync(file, (await cli(['completion', 'bash'])).out);
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `source "$0"; COMP_WORDS=(hangar ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _hangar_complete; printf '%s\\n' "\${COMPREPLY[@]}"`, file], { encoding: 'utf8' }).trim().split('\n');
    expect(complete('cr')).toEqual(['create']);
    expect(complete('create', '--idem')).toEqual(['--idempotency-key']);
    expect(complete('create', '--provider', 'h')).toEqual(['hetzner']);
    expect(complete('inventory', '--')).toEqual(expect.arrayContaining(['--ansible', '--list', '--host', '--json', '--quiet']));
  });

  it('an unknown shell is a usage error (exit 2)', async () => {
    const r = await cli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bash, zsh, fish/);
  });
});
