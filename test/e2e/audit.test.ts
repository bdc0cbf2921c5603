import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../src/build/dashboard.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

/**
 * The dashboard's Audit page in headless Chromium against a real Hangar: the rows of calls made
 * through the API, a filter, and the JSON-lines download, on a laptop and a phone viewport.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

let h: TestHangar;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ensureDashboardBuilt();
  h = await startTestHangar('e2e-audit', { dashboard: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  // Something to audit: a refused delete (404) and a reconcile pass (200).
  expect((await h.api('/v1/providers/hetzner/credentials', { method: 'DELETE' })).status).toBe(404);
  expect((await h.api('/v1/reconcile', { method: 'POST' })).status).toBe(200);
  for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
    const { items } = (await (await h.api('/v1/audit?action=POST%20/v1/reconcile')).json()) as { items: unknown[] };
    if (items.length) break;
    if (Date.now() > deadline) throw new Error('waited 10 s for the reconcile audit row');
  }
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function open(viewport: { width: number; height: number }): Promise<Page> {
  const ctx = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', acceptDownloads: true });
  const page = await ctx.newPage();
  page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.setDefaultTimeout(15_000);
  await page.goto(h.url);
  await page.waitForSelector('[data-testid=signin-form]');
  await page.fill('[data-testid=api-key-input]', h.apiKey);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=nav-audit]');
  await page.click('[data-testid=nav-audit]');
  await page.waitForSelector('[data-testid=audit-table]');
  return page;
}

describe('the Audit page', () => {
  it('lists who did what with the outcome, filters, and downloads JSON lines (desktop)', async () => {
    const page = await open({ width: 1366, height: 860 });
    const actions = await page.$$eval('[data-testid=audit-row]', (rows) => rows.map((r) => `${r.getAttribute('data-action')} ${r.getAttribute('data-outcome')}`));
    expect(actions).toEqual(expect.arrayContaining(['POST /v1/reconcile 200', 'DELETE /v1/providers/:provider/credentials 404']));
    expect(await page.textContent('[data-testid=audit-table]')).toContain('api:admin');
    await page.screenshot({ path: join(SHOTS, 'audit-desktop.png'), fullPage: true });

    await page.fill('[data-testid=audit-filter-action]', 'DELETE *');
    await page.click('[data-testid=audit-apply]');
    await expect.poll(() => page.$$eval('[data-testid=audit-row]', (rows) => rows.map((r) => r.getAttribute('data-action')))).toEqual(['DELETE /v1/providers/:provider/credentials']);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=audit-export]')]);
    const file = await download.path();
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string });
    expect(lines.map((l) => l.action)).toEqual(['DELETE /v1/providers/:provider/credentials']);
    await page.context().close();
  });

  it('reads on a phone (390 px) without horizontal scrolling', async () => {
    const page = await open({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'audit-phone.png'), fullPage: true });
    await page.context().close();
    expect(consoleErrors).toEqual([]);
  });
});
