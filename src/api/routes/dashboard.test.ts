import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerDashboardRoutes } from './dashboard.ts';

function app() {
  const root = mkdtempSync(join(tmpdir(), 'hangar-web-'));
  const web = join(root, 'dist');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>Hangar</title>');
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'do not serve');
  const a = Fastify();
  registerDashboardRoutes(a, web);
  return a;
}

describe('dashboard routes', () => {
  it('serves its files, index.html for app paths, and nothing outside its directory', async () => {
    const a = app();
    const js = await a.inject({ method: 'GET', url: '/assets/app.js' });
    expect(js.headers['content-type']).toMatch(/javascript/);
    const page = await a.inject({ method: 'GET', url: '/instances/123' });
    expect(page.body).toContain('<title>Hangar</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00.txt', '/%E0%A4%A.txt']) {
      const res = await a.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('do not serve');
    }
    expect((await a.inject({ method: 'GET', url: '/v1/nope' })).statusCode).toBe(404);
  });
});
