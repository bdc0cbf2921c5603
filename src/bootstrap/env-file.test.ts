import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import { envValue, renderEnvFile } from './env-file.ts';
import { heredoc, shq } from './shell.ts';

describe('envValue / renderEnvFile', () => {
  it('quotes so nothing expands', () => {
    expect(envValue('a$b')).toBe("'a$b'");
    expect(envValue("it's")).toBe(`"it's"`);
    expect(envValue("it's $x")).toBeNull();
    expect(envValue('two\nlines')).toBeNull();
    expect(envValue('ends\\')).toBeNull();
    expect(renderEnvFile([['A', 'x', 'f']], 'head\nline')).toBe("# head\n# line\nA='x'\n");
    expect(renderEnvFile([])).toBe('');
  });

  it('names the field it cannot write', () => {
    try {
      renderEnvFile([['OK', 'v', 'config.a'], ['BAD-NAME', 'v', 'config.b'], ['C', "'$", 'config.c']]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors?.map((e) => e.field)).toEqual(['config.b', 'config.c']);
    }
  });

  it('reads back literally in bash for any value it accepts (one bash run for 100 values)', () => {
    const values = fc.sample(fc.string({ unit: fc.constantFrom(...'aZ9 $`"\'\\#;&|<>(){}*?~=!%^\t'.split('')), maxLength: 24 }), { numRuns: 100, seed: 5 });
    const accepted = values.filter((v) => envValue(v) !== null);
    const dir = mkdtempSync(join(tmpdir(), 'hangar-env-'));
    const file = join(dir, 'env');
    writeFileSync(file, renderEnvFile(accepted.map((v, i) => [`V${i}`, v, `v${i}`])));
    const out = execFileSync('bash', ['--norc', '-c', 'set -a; . "$1"; for ((i = 0; i < $2; i++)); do n="V$i"; printf "%s\\0" "${!n}"; done', 'bash', file, String(accepted.length)], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(out.split('\0').slice(0, -1)).toEqual(accepted);
    expect(accepted.length).toBeGreaterThan(50);
  });
});

describe('shq / heredoc', () => {
  it('quotes one word and refuses a body that ends its own document', () => {
    expect(shq('plain/path-1.2')).toBe('plain/path-1.2');
    expect(shq("it's")).toBe(`'it'\\''s'`);
    expect(shq('')).toBe("''");
    expect(heredoc('a $b', 'EOF')).toBe("<<'EOF'\na $b\nEOF");
    expect(() => heredoc('x\nEOF\ny', 'EOF')).toThrow(/terminator/);
  });
});
