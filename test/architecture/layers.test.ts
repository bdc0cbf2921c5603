/**
 * The layer rules of DESIGN.md, kept by a test: `.dependency-cruiser.cjs` holds them, and this
 * fails on any import that breaks one (with no exceptions list).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('layers', () => {
  it('every import points inwards', () => {
    let out: string;
    try {
      out = execFileSync(process.execPath, ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', 'src', 'agent', 'web/src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    } catch (err) {
      out = (err as { stdout?: string }).stdout ?? '';
    }
    const result = JSON.parse(out) as { summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number } };
    const broken = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  }, 120_000);

  it('no source file does several jobs (over ~400 lines), except generated code and the install template', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'agent', 'web/src'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => /\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$/.test(f));
    
    const EXEMPT = [/^src\/api\/contract\/schema\.d\.ts$/, /install-template/];
    const long = files.filter((f) => existsSync(`${ROOT}/${f}`) && !EXEMPT.some((re) => re.test(f))).map((f) => [f, readFileSync(`${ROOT}/${f}`, 'utf8').split('\n').length] as const).filter(([, n]) => n > 420);
    expect(long).toEqual([]);
  });
});
