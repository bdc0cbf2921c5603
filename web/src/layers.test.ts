import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The dashboard's layer rules, checked on its sources (tests excluded). */
const WEB_SRC = dirname(fileURLToPath(import.meta.url));
/** The API contract (generated types, typed client, errors, SSE parser): the one thing outside web/src the bundle may import. */
const CONTRACT = resolve(WEB_SRC, '../../src/api/contract');
/** Node-only build step of the contract: never in the bundle. */
const CONTRACT_GENERATOR = join(CONTRACT, 'generate.ts');

function sources(dir = WEB_SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return /\.tsx?$/.test(d.name) && !/\.test\.tsx?$/.test(d.name) ? [p] : [];
  });
}

const rel = (p: string) => relative(WEB_SRC, p);

describe('dashboard layers', () => {
  it('imports nothing from outside web/src but the API contract: no server code reaches the bundle', () => {
    const outside: string[] = [];
    let contract = 0;
    for (const file of sources()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = resolve(dirname(file), m[1]);
        if (!relative(WEB_SRC, target).startsWith('..')) continue;
        if (!relative(CONTRACT, target).startsWith('..') && target !== CONTRACT_GENERATOR) contract++;
        else outside.push(`${rel(file)} → ${m[1]}`);
      }
    }
    expect(outside).toEqual([]);
    expect(contract).toBeGreaterThan(0);
  });

  it('makes every HTTP call through api.ts', () => {
    const callers = sources()
      .filter((f) => rel(f) !== 'api.ts')
      .filter((f) => /\bfetch\s*\(|\bnew\s+(?:EventSource|XMLHttpRequest|WebSocket)\b|\bsendBeacon\s*\(/.test(readFileSync(f, 'utf8')))
      .map(rel);
    expect(callers).toEqual([]);
  });
});
