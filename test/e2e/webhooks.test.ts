import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../src/build/dashboard.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';

/**
 * The Webhooks page in headless Chromium against a real Hangar and a real loopback receiver:
 * add an endpoint (the whsec_ secret shown once), send a test, see the delivery in the log with
 * its status code, redeliver it, see the API's field error for a bad URL, remove the endpoint.
 * At desktop width and at 390 px.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

let h: TestHangar;
let browser: Browser;
let rx: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  process.env.HANGAR_WEBHOOK_ALLOW_HTTP = '1';
  process.env.HANGAR_WEBHOOK_ALLOW_PRIVATE = '1';
  await ensureDashboardBuilt();
  rx = await startReceiver();
  h = await startTestHangar('e2e-webhooks', { dashboard: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await rx?.close();
  delete process.env.HANGAR_WEBHOOK_ALLOW_HTTP;
  delete process.env.HANGAR_WEBHOOK_ALLOW_PRIVATE;
});

async function signIn(width: number, height: number, errors: string[]): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
  page.on('console', (m) => m.type() === 'error' && !/status of 400/.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.setDefaultTimeout(30_000);
  await page.goto(h.url);
  await page.fill('[data-testid=api-key-input]', h.apiKey);
  await page.keyboard.press('Enter');
  await page.click('[data-testid=nav-webhooks]');
  return page;
}

describe('dashboard: webhooks', () => {
  for (const [label, width, height] of [['desktop', 1366, 860], ['390 px', 390, 844]] as const) {
    it(`adds an endpoint, shows its secret once, tests and redelivers it, removes it (${label})`, async () => {
      const errors: string[] = [];
      const page = await signIn(width, height, errors);
      await page.waitForSelector('[data-testid=webhooks-empty]');

      // The API's own field error for a URL it refuses.
      await page.fill('[data-testid=input-url]', 'ftp://example.com/hook');
      await page.click('[data-testid=webhook-create]');
      expect(await page.textContent('[data-testid=error-url]')).toMatch(/\S/);
      expect(await page.textContent('[data-testid=field-errors]')).toContain('url');

      const path = `/hook-${width}`;
      await page.fill('[data-testid=input-url]', rx.url(path));
      await page.selectOption('[data-testid=input-events]', ['instance.running', 'webhook.test']);
      await page.selectOption('[data-testid=input-format]', 'standard');
      await page.click('[data-testid=webhook-create]');
      const secret = (await page.textContent('[data-testid=webhook-secret]'))!.trim();
      expect(secret).toMatch(/^whsec_/);
      rx.secrets.set(path, secret);
      const row = page.locator(`[data-testid=webhook-row][data-url="${rx.url(path)}"]`);
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.textContent()).toContain('instance.running, webhook.test');
      expect(await page.textContent('[data-testid=webhooks-table]')).not.toContain(secret);
      await page.click('[data-testid=webhook-secret-dismiss]');
      expect(await page.locator('[data-testid=webhook-secret]').count()).toBe(0);
      // Shown once: a reload lists the endpoint without it.
      await page.reload();
      await expect.poll(() => row.count()).toBe(1);
      expect(await page.content()).not.toContain(secret);

      await row.locator('[data-testid=webhook-test]').click();
      const got = await rx.until((all) => all.some((r) => r.path === path && r.json?.type === 'webhook.test'), 'the test delivery');
      expect(got.find((r) => r.path === path)!.verified).toBe(true);
      const delivered = page.locator('[data-testid=delivery-row][data-status=delivered][data-event="webhook.test"]');
      await expect.poll(() => delivered.count(), { timeout: 20_000 }).toBe(1);
      expect(await delivered.locator('[data-testid=delivery-code]').textContent()).toBe('204');
      expect(await delivered.locator('[data-testid=delivery-attempts]').textContent()).toBe('1');

      await delivered.locator('[data-testid=delivery-redeliver]').click();
      await rx.until((all) => all.filter((r) => r.path === path).length >= 2, 'the redelivery');
      const twice = rx.received.filter((r) => r.path === path);
      expect(twice[1].id).toBe(twice[0].id); // same webhook-id

      // Nothing wider than the viewport (tables scroll inside their own box).
      const wide = await page.evaluate(() =>
        document.documentElement.scrollWidth <= window.innerWidth ? [] : [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap')).map((e) => `${e.tagName}.${e.className}`).slice(0, 8),
      );
      expect(wide).toEqual([]);

      page.once('dialog', (d) => void d.accept());
      await row.locator('[data-testid=webhook-delete]').click();
      await page.waitForSelector('[data-testid=webhooks-empty]');
      expect(errors).toEqual([]);
      await page.context().close();
    }, 180_000);
  }
});
