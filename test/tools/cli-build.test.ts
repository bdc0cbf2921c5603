import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript next to the bin script
import { compiledCli } from '../../bin/compiled.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'hangar-cli-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the compiled CLI', () => {
  it('is built by `npm ci` (prepare) and answers like the TypeScript one', () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT });
    const entry = compiledCli(join(ROOT, 'dist/cli'));
    expect(entry).toBe(join(ROOT, 'dist/cli/main.mjs'));
    const compiled = execFileSync(process.execPath, [entry!, '--version'], { encoding: 'utf8' });
    const viaBin = execFileSync(process.execPath, [join(ROOT, 'bin/hangar.js'), '--version'], { encoding: 'utf8' });
    expect(compiled).toBe(viaBin);
    expect(compiled.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('is not run once a source it was built from is newer, or gone', () => {
    const src = join(dir, 'a.ts');
    writeFileSync(src, '');
    writeFileSync(join(dir, 'main.mjs'), '');
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify([src]));
    const past = new Date(Date.now() - 60_000);
    utimesSync(src, past, past);
    expect(compiledCli(dir)).toBe(join(dir, 'main.mjs'));
    const later = new Date(Date.now() + 60_000);
    utimesSync(src, later, later);
    expect(compiledCli(dir)).toBeNull();
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify([join(dir, 'gone.ts')]));
    expect(compiledCli(dir)).toBeNull();
    writeFileSync(join(dir, 'inputs.json'), 'not json');
    expect(compiledCli(dir)).toBeNull();
    expect(compiledCli(join(dir, 'missing'))).toBeNull();
  });
});
