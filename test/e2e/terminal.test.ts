import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../src/build/dashboard.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

/**
 * The instance page's terminal and "Open" button in a real browser (headless Chromium) against a
 * real Hangar and agent on the local provider: a shell typed into through xterm.js, and the
 * workload's own UI (a server this test runs on the "server's" loopback) opened through the
 * proxy with a sign-in link, at desktop and phone widths. Console errors fail the test.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

let h: TestHangar;
let browser: Browser;
let ui: Server;
let id = '';

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ensureDashboardBuilt();
  ui = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>workload ui</title><h1 id="ui">workload ui at ${req.url} cookie=${req.headers.cookie ?? 'none'} auth=${req.headers.authorization ?? 'none'}</h1>`);
  });
  await new Promise<void>((r) => ui.listen(0, '127.0.0.1', r));
  h = await startTestHangar('e2eterm', { dashboard: true });
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'term', config: { exec: true, uiPort: (ui.address() as AddressInfo).port } } });
  id = ((await res.json()) as { id: string }).id;
  await h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected', 45_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  ui?.close();
});

async function instancePage(viewport: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.setDefaultTimeout(20_000);
  await page.goto(h.url);
  await page.waitForSelector('[data-testid=signin-form]');
  await page.keyboard.type(h.apiKey);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=live-indicator]');
  await page.goto(`${h.url}/#/instances/${id}`);
  await page.waitForSelector('[data-testid=terminal-card]');
  return { page, errors };
}

for (const [name, viewport] of [['desktop', { width: 1366, height: 860 }], ['phone', { width: 390, height: 844 }]] as const) {
  describe(`the instance page on a ${name}`, () => {
    it('opens a shell in the terminal; typed commands run on the server', async () => {
      const { page, errors } = await instancePage(viewport);
      await page.click('[data-testid=terminal-open]');
      await page.waitForSelector('[data-testid=terminal] .xterm-rows');
      await page.click('[data-testid=terminal]');
      await page.keyboard.type('echo term-$((6*7)); echo "size=$(stty size)="\n');
      await expect.poll(() => page.textContent('[data-testid=terminal] .xterm-rows'), { timeout: 20_000 }).toMatch(/term-42.*size=\d+ \d+=/);
      // The shell got the terminal's fitted size (a resize after the card showed it).
      const [, rows, cols] = /size=(\d+) (\d+)=/.exec((await page.textContent('[data-testid=terminal] .xterm-rows'))!)!.map(Number);
      expect(rows).toBeGreaterThan(5);
      if (name === 'phone') expect(cols).toBeLessThan(60);
      else expect(cols).toBeGreaterThan(80);
      // Fitted to the card: no wider than the viewport.
      const box = await page.locator('[data-testid=terminal]').boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.locator('[data-testid=terminal-card]').screenshot({ path: join(SHOTS, `terminal-${name}.png`) });
      await page.keyboard.type('exit 4\n');
      await expect.poll(() => page.textContent('[data-testid=terminal-status]').catch(() => null), { timeout: 20_000 }).toContain('exited with code 4');
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('"Open" shows the workload’s UI through the proxy in a new tab, without Hangar’s credentials', async () => {
      const { page, errors } = await instancePage(viewport);
      const [tab] = await Promise.all([page.context().waitForEvent('page'), page.click('[data-testid=open-ui]')]);
      await tab.waitForSelector('#ui');
      const text = (await tab.textContent('#ui'))!;
      expect(text).toContain('workload ui at / ');
      expect(text).toContain('cookie=none');
      expect(text).toContain('auth=none');
      expect(tab.url()).toBe(`${h.url}/v1/instances/${id}/proxy/`);
      await tab.screenshot({ path: join(SHOTS, `proxied-ui-${name}.png`) });
      expect(errors).toEqual([]);
      await page.context().close();
    });
  });
}
