import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../src/build/dashboard.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

/**
 * Operating an instance from its dashboard page in a real browser (headless Chromium) against a
 * real Hangar and agent on the local provider, at desktop and phone widths: status, doctor, logs
 * (with a unit switch), smoke, restart, exec (only where enabled), extend, and stop → hibernated →
 * start → running. Console errors fail the test.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

let h: TestHangar;
let browser: Browser;
let withExec = '';
let plain = '';

async function create(name: string, config: Record<string, unknown>): Promise<string> {
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name, ttl: '2h', idleStop: '1h', config } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ensureDashboardBuilt();
  h = await startTestHangar('e2eops', { dashboard: true });
  withExec = await create('ops-exec', { exec: true });
  plain = await create('ops-plain', {});
  await Promise.all([withExec, plain].map((id) => h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected', 60_000)));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function instancePage(id: string, viewport: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.setDefaultTimeout(30_000);
  await page.goto(h.url);
  await page.waitForSelector('[data-testid=signin-form]');
  await page.keyboard.type(h.apiKey);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=live-indicator]');
  await page.goto(`${h.url}/#/instances/${id}`);
  await page.waitForSelector('[data-testid=ops-card]');
  return { page, errors };
}

/** Click an op button and wait for its result panel to settle; its text. */
async function op(page: Page, name: string): Promise<string> {
  await page.click(`[data-testid=op-${name}]`);
  const panel = page.locator(`[data-testid=ops-result-${name}]:not([data-state=busy])`);
  await panel.waitFor({ timeout: 90_000 });
  return (await panel.textContent()) ?? '';
}

const noOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

for (const [name, viewport] of [['desktop', { width: 1366, height: 860 }], ['phone', { width: 390, height: 844 }]] as const) {
  describe(`operating an instance on a ${name}`, () => {
    it('runs status, doctor, logs (switching units), smoke, restart and exec', async () => {
      const { page, errors } = await instancePage(withExec, viewport);
      expect(await op(page, 'status')).toMatch(/Agent version.*Exec\s*enabled/s);
      await page.waitForSelector('[data-testid=ops-result-status][data-state=done]');

      expect(await op(page, 'doctor')).toMatch(/Overall: (pass|warn|fail)/);
      expect(await page.locator('[data-testid=doctor-checks] tbody tr').count()).toBeGreaterThan(0);

      await page.click('[data-testid=op-logs]');
      await page.waitForSelector('[data-testid=logs-panel][data-unit=agent] [data-testid=logs-lines]');
      await page.selectOption('[data-testid=logs-unit]', 'bootstrap');
      await page.waitForSelector('[data-testid=logs-panel][data-unit=bootstrap] [data-testid=logs-lines]');
      await page.selectOption('[data-testid=logs-unit]', 'workload');
      await page.waitForSelector('[data-testid=logs-panel][data-unit=workload]');
      // Follow polls: another logs request arrives without a click.
      const seen = new Promise<void>((resolve) => page.on('request', (r) => void (r.url().includes(`/v1/instances/${withExec}/logs?`) && resolve())));
      await page.check('[data-testid=logs-follow]');
      await seen;
      await page.uncheck('[data-testid=logs-follow]');

      expect(await op(page, 'smoke')).toMatch(/Passed|Failed/);
      await page.waitForSelector('[data-testid=smoke-result]');
      expect(await op(page, 'restart')).toMatch(/Workload restarted/);

      await page.click('[data-testid=op-exec]');
      await page.fill('[data-testid=exec-command]', `sh -c 'echo ops-$((6*7)); exit 3'`);
      await page.click('[data-testid=exec-run]');
      await page.waitForSelector('[data-testid=exec-result]', { timeout: 30_000 });
      expect(await page.textContent('[data-testid=exec-stdout]')).toContain('ops-42');
      expect(await page.textContent('[data-testid=exec-exit]')).toBe('3');
      // A missing binary is exit 127 with the reason on stderr.
      await page.fill('[data-testid=exec-command]', '/no/such/binary --flag');
      await page.click('[data-testid=exec-run]');
      await expect.poll(() => page.textContent('[data-testid=exec-exit]').catch(() => null)).toBe('127');
      expect(await page.textContent('[data-testid=exec-stderr]')).toContain('ENOENT');
      // A request the API rejects shows its message (the browser logs the 400 itself).
      await page.fill('[data-testid=exec-command]', `echo ${'x'.repeat(9000)}`);
      await page.click('[data-testid=exec-run]');
      const box = page.locator('[data-testid=exec-panel] [data-testid=error-box]');
      await box.waitFor();
      expect(await box.textContent()).toMatch(/Exec failed \(400\)/);
      expect(await page.locator('[data-testid=exec-result]').count()).toBe(0);
      errors.splice(0, errors.length, ...errors.filter((e) => !/status of 400/.test(e)));
      expect(await noOverflow(page)).toBeLessThanOrEqual(0);
      await page.locator('[data-testid=ops-card]').screenshot({ path: join(SHOTS, `instance-ops-${name}.png`) });
      expect(errors).toEqual([]);
      await page.context().close();
    }, 240_000);

    it('hides exec where the instance does not allow it', async () => {
      const { page, errors } = await instancePage(plain, viewport);
      expect(await op(page, 'status')).toMatch(/Exec\s*disabled/);
      expect(await page.locator('[data-testid=op-exec]').count()).toBe(0);
      expect(await page.locator('[data-testid=op-doctor]').isVisible()).toBe(true);
      expect(errors).toEqual([]);
      await page.context().close();
    }, 120_000);
  });
}

for (const [name, viewport] of [['desktop', { width: 1366, height: 860 }], ['phone', { width: 390, height: 844 }]] as const) {
  describe(`an instance's lifetime on a ${name}`, () => {
    it('extends the expiry, then stops to hibernated and starts back to running', async () => {
      const { page, errors } = await instancePage(plain, viewport);
      const card = page.locator('[data-testid=lifetime-card]');
      await card.waitFor();
      expect(await page.textContent('[data-testid=idle-stop]')).toContain('after 1h');
      const before = Date.parse((await page.getAttribute('[data-testid=expires-at]', 'data-iso'))!);
      await page.click('[data-testid=extend-1h]');
      await expect.poll(async () => Date.parse((await page.getAttribute('[data-testid=expires-at]', 'data-iso'))!) - before).toBe(3600_000);
      await page.click('[data-testid=extend-8h]');
      await expect.poll(async () => Date.parse((await page.getAttribute('[data-testid=expires-at]', 'data-iso'))!) - before).toBe(9 * 3600_000);

      await page.click('[data-testid=lifetime-stop]');
      await page.waitForSelector('[data-testid=lifetime-card][data-status=hibernated]', { timeout: 90_000 });
      expect(await page.textContent('[data-testid=hibernation-label]')).toContain('Hibernated');
      await page.screenshot({ path: join(SHOTS, `instance-hibernated-${name}.png`) });
      expect(await page.locator('[data-testid=op-doctor]').isDisabled()).toBe(true);

      await page.click('[data-testid=lifetime-start]');
      await page.waitForSelector('[data-testid=lifetime-card][data-status=running]', { timeout: 120_000 });
      expect(await page.locator('[data-testid=hibernation-label]').count()).toBe(0);
      expect(await noOverflow(page)).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
      await page.context().close();
    }, 300_000);
  });
}
