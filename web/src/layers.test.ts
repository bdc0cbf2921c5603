import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The dashboard's layer rules, checked on its sources (tests excluded). */
const WEB_SRC = dirname(fileURLToPath(import.meta.url));

function sources(dir = WEB_SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return /\.tsx?$/.test(d.name) && !/\.test\.tsx?$/.test(d.name) ? [p] : [];
  });
}

const rel = (p: string) => relative(WEB_SRC, p);

describe('dashboard layers', () => {
  it('imports nothing from outside web/src: no server code reaches the bundle', () => {
    const outside: string[] = [];
    for (const file of sources()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = resolve(dirname(file), m[1]);
        if (relative(WEB_SRC, target).startsWith('..')) outside.push(`${rel(file)} → ${m[1]}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('makes every HTTP call through api.ts', () => {
    const callers = sources()
      .filter((f) => rel(f) !== 'api.ts')
      .filter((f) => /\bfetch\s*\(|\bnew\s+(?:EventSource|XMLHttpRequest|WebSocket)\b|\bsendBeacon\s*\(/.test(readFileSync(f, 'utf8')))
      .map(rel);
    expect(callers).toEqual([]);
  });
});
