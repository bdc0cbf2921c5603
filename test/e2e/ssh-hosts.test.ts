import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../src/build/dashboard.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { startSshd, type TestSshd } from '../helpers/sshd.ts';

/**
 * The SSH hosts page in headless Chromium against a real Hangar and a real sshd: a key path
 * outside the key directory is refused with the API's field error, a host is added by key path,
 * probed (its real host-key fingerprint shown) and removed. At desktop width and at 390 px.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

let h: TestHangar;
let sshd: TestSshd;
let browser: Browser;

beforeAll(async () => {
  await ensureDashboardBuilt();
  sshd = await startSshd();
  h = await startTestHangar('e2e-ssh-hosts', { dashboard: true, sshKeyDir: sshd.dir });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await sshd?.stop();
});

describe('dashboard: SSH hosts', () => {
  for (const [label, width, height] of [['desktop', 1366, 860], ['390 px', 390, 844]] as const) {
    it(`adds, probes and removes a host (${label})`, async () => {
      const errors: string[] = [];
      const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      page.setDefaultTimeout(30_000);
      await page.goto(h.url);
      await page.fill('[data-testid=api-key-input]', h.apiKey);
      await page.keyboard.press('Enter');
      await page.click('[data-testid=nav-ssh-hosts]');
      await page.waitForSelector('[data-testid=ssh-hosts-empty]');

      const name = `box-${width}`;
      await page.fill('[data-testid=input-name]', name);
      await page.fill('[data-testid=input-address]', '127.0.0.1');
      await page.fill('[data-testid=input-port]', String(sshd.port));
      await page.fill('[data-testid=input-user]', sshd.user);
      await page.fill('[data-testid=input-keyPath]', '/etc/passwd');
      await page.click('[data-testid=ssh-host-add]');
      expect(await page.textContent('[data-testid=error-keyPath]')).toMatch(/\S/);
      expect(await page.textContent('[data-testid=field-errors]')).toContain('keyPath');

      await page.fill('[data-testid=input-keyPath]', sshd.clientKeyPath);
      await page.click('[data-testid=ssh-host-add]');
      const row = page.locator(`[data-testid=ssh-host-row][data-name="${name}"]`);
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.textContent()).toContain(`${sshd.user}@127.0.0.1:${sshd.port}`);
      expect(await row.locator('[data-testid=ssh-host-probe]').textContent()).toBe('not probed');

      await row.locator('[data-testid=ssh-host-probe-btn]').click();
      await expect.poll(() => row.locator('[data-testid=ssh-host-probe]').textContent(), { timeout: 30_000 }).toContain(sshd.hostFingerprint);

      const wide = await page.evaluate(() =>
        document.documentElement.scrollWidth <= window.innerWidth ? [] : [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap')).map((e) => `${e.tagName}.${e.className}`).slice(0, 8),
      );
      expect(wide).toEqual([]);

      page.once('dialog', (d) => void d.accept());
      await row.locator('[data-testid=ssh-host-delete]').click();
      await page.waitForSelector('[data-testid=ssh-hosts-empty]');
      expect((await (await h.api('/v1/ssh-hosts')).json()).items).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    }, 180_000);
  }
});
