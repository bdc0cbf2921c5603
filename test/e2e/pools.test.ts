import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../src/build/dashboard.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

/**
 * The Pools page in headless Chromium against a real Hangar: a pool the API refuses shows its
 * field error, a pool is set (listed with its ready/target counts, as the API stores it)
 * and removed; the cloud-API budget section loads. At desktop width and at 390 px.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

let h: TestHangar;
let browser: Browser;

beforeAll(async () => {
  await ensureDashboardBuilt();
  h = await startTestHangar('e2e-pools', { dashboard: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('dashboard: pools', () => {
  for (const [label, width, height] of [['desktop', 1366, 860], ['390 px', 390, 844]] as const) {
    it(`sets and removes a pool, shows the API budget (${label})`, async () => {
      const errors: string[] = [];
      const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      page.setDefaultTimeout(30_000);
      await page.goto(h.url);
      await page.fill('[data-testid=api-key-input]', h.apiKey);
      await page.keyboard.press('Enter');
      await page.click('[data-testid=nav-pools]');
      await page.waitForSelector('[data-testid=pools-empty]');
      await page.waitForSelector('[data-testid=api-budget] :is([data-testid=api-budget-empty], [data-testid=api-budget-row])');

      // More ready servers than the API allows: its field error, under the field.
      await page.fill('[data-testid=input-name]', `ci-${width}`);
      await page.fill('[data-testid=input-ready]', '100000');
      await page.click('[data-testid=pool-save]');
      expect(await page.textContent('[data-testid=error-ready]')).toMatch(/\S/);
      expect(await page.textContent('[data-testid=field-errors]')).toContain('ready');

      await page.fill('[data-testid=input-ready]', '0');
      await page.selectOption('[data-testid=input-workload]', 'process');
      await page.click('[data-testid=pool-save]');
      const row = page.locator(`[data-testid=pool-row][data-name="ci-${width}"]`);
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.locator('[data-testid=pool-counts]').textContent()).toMatch(/^0 \/ 0/);
      expect(await row.getAttribute('data-paused')).toBe('false');
      const stored = (await (await h.api('/v1/pools')).json()).items;
      expect(stored).toEqual([expect.objectContaining({ name: `ci-${width}`, provider: 'local', workload: 'process', ready: 0 })]);

      const wide = await page.evaluate(() =>
        document.documentElement.scrollWidth <= window.innerWidth ? [] : [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap')).map((e) => `${e.tagName}.${e.className}`).slice(0, 8),
      );
      expect(wide).toEqual([]);

      page.once('dialog', (d) => void d.accept());
      await row.locator('[data-testid=pool-delete]').click();
      await page.waitForSelector('[data-testid=pools-empty]');
      expect((await (await h.api('/v1/pools')).json()).items).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    }, 180_000);
  }
});
