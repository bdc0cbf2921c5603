import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../src/build/dashboard.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

/**
 * The Keys page and the project switcher in a real browser (headless Chromium) against a real
 * Hangar: switch to a project, mint a key there (shown once), see it listed, revoke it, and the
 * revoked key is refused by the API at once.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

let h: TestHangar;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  h = await startTestHangar('e2e-keys', { dashboard: true });
  expect((await h.api('/v1/projects', { method: 'POST', json: { name: 'team-a' } })).status).toBe(201);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('dashboard: keys and projects', () => {
  it('switches project, creates a key shown once, lists and revokes it', async () => {
    const page: Page = await (await browser.newContext({ viewport: { width: 1366, height: 860 } })).newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.setDefaultTimeout(30_000);
    await page.goto(h.url);
    await page.waitForSelector('[data-testid=signin-form]');
    await page.fill('[data-testid=api-key-input]', h.apiKey);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=project-switcher]');
    await page.selectOption('[data-testid=project-switcher]', 'team-a');
    await page.waitForLoadState('load');
    await page.click('[data-testid=nav-keys]');
    await expect.poll(() => page.textContent('[data-testid=keys-project]')).toBe('team-a');
    await page.fill('[data-testid=key-name]', 'ci-from-browser');
    await page.selectOption('[data-testid=key-role]', 'operator');
    await page.click('[data-testid=key-create]');
    const secret = (await page.textContent('[data-testid=key-secret]'))!.trim();
    expect(secret).toMatch(/^hgr_/);
    const row = page.locator('[data-testid=key-row][data-name=ci-from-browser]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toMatch(/operator.*team-a/);
    // The key works in its project, and the list never shows it.
    expect(await page.textContent('[data-testid=keys-table]')).not.toContain(secret);
    expect((await fetch(`${h.url}/v1/instances`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    page.once('dialog', (d) => void d.accept());
    await row.locator('[data-testid=key-revoke]').click();
    await expect.poll(() => row.count()).toBe(0);
    expect((await fetch(`${h.url}/v1/instances`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    expect(consoleErrors).toEqual([]);
  }, 180_000);
});
