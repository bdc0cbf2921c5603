import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../src/build/dashboard.ts';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

/**
 * The dashboard in a real browser (headless Chromium via playwright-core) against a real
 * Hangar on the local provider with the real agent: sign in, create through the form, watch it
 * reach running live, read its timeline, destroy it, and the API's validation errors next to
 * the fields. Any console error fails the test. Screenshots of every screen, on a laptop and a
 * phone viewport, go to test-artifacts/screenshots/.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const DESKTOP = { width: 1366, height: 860 };
const PHONE = { width: 390, height: 844 };

let h: TestHangar;
/** An emulated Hetzner (no agents boot on it): the create form offers a cloud next to Local. */
let hz: HetznerEmulator;
let browser: Browser;
const consoleErrors: string[] = [];

async function newPage(viewport: { width: number; height: number }, opts: { touch?: boolean } = {}): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, hasTouch: opts.touch, isMobile: opts.touch, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`console.error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.setDefaultTimeout(15_000);
  return { ctx, page };
}

/**
 * A full-page screenshot from the top (so the sticky header sits where it belongs), or just the
 * viewport (for a modal dialog, whose backdrop covers the viewport only).
 */
async function shot(page: Page, name: string, opts: { viewportOnly?: boolean } = {}): Promise<void> {
  if (!opts.viewportOnly) await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: !opts.viewportOnly, animations: 'disabled', caret: 'hide' });
}

/** Sign in with the keyboard only: the key field has focus, Enter submits. */
async function signIn(page: Page, opts: { live?: boolean } = {}): Promise<void> {
  await page.goto(h.url);
  await page.waitForSelector('[data-testid=signin-form]');
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('api-key-input');
  await page.keyboard.type(h.apiKey);
  await page.keyboard.press('Enter');
  if (opts.live !== false) await page.waitForSelector('[data-testid=live-indicator][data-state=open]');
  else await page.waitForSelector('[data-testid=live-indicator]');
}

/** Drop the console errors an expected HTTP answer causes (Chromium logs each 4xx response). */
function allowConsole(re: RegExp): void {
  const keep = consoleErrors.filter((e) => !re.test(e));
  consoleErrors.splice(0, consoleErrors.length, ...keep);
}

const statusOf = (page: Page) => page.getAttribute('[data-testid=instance-detail]', 'data-status');

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ensureDashboardBuilt();
  hz = await startHetznerEmulator({ boot: false, tokens: '*' });
  const clouds = providersFromEnv({ HETZNER_API_TOKEN: 'hz-e2e', HCLOUD_ENDPOINT: hz.baseUrl, HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' });
  expect(clouds.warnings).toEqual([]);
  h = await startTestHangar('e2e', { dashboard: true }, { providers: clouds.providers, noEnvProviders: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

afterAll(async () => {
  // The browser first: its open event streams would otherwise hold the server's close.
  await browser?.close();
  await h?.close();
  await hz?.stop();
});

afterEach(() => {
  const errors = consoleErrors.splice(0);
  expect(errors, 'the browser console had errors').toEqual([]);
});

describe('dashboard on a laptop', () => {
  let ctx: BrowserContext;
  let page: Page;
  let instanceId = '';

  beforeAll(async () => {
    ({ ctx, page } = await newPage(DESKTOP));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('serves the dashboard at / and rejects a wrong key', async () => {
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    await page.goto(h.url);
    await page.waitForSelector('[data-testid=signin-form]');
    await shot(page, 'desktop-01-sign-in');
    await page.fill('[data-testid=api-key-input]', 'hgr_not_a_real_key_at_all');
    await page.click('[data-testid=signin-submit]');
    await expect.poll(() => page.textContent('[data-testid=signin-error]')).toContain('401');
    await shot(page, 'desktop-02-sign-in-rejected');
    // Chromium logs every 4xx answer; this 401 is the point of the test.
    allowConsole(/status of 401/);
  });

  it('signs in with the keyboard, keeps the key in session storage only, and explains the empty list', async () => {
    await page.fill('[data-testid=api-key-input]', '');
    await page.focus('[data-testid=api-key-input]');
    await page.keyboard.type(h.apiKey);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=empty-state]');
    expect(page.url()).not.toContain(h.apiKey);
    expect(await page.evaluate(() => sessionStorage.getItem('hangar.apiKey'))).toBe(h.apiKey);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(h.apiKey);
    expect(await page.textContent('[data-testid=empty-state]')).toContain('local');
    await page.waitForSelector('[data-testid=live-indicator][data-state=open]');
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    await shot(page, 'desktop-03-instances-empty');
  });

  it('shows the API’s validation errors next to the fields and creates nothing', async () => {
    await page.click('[data-testid=empty-create]');
    await page.waitForSelector('[data-testid=server-type-process] input:checked');
    await shot(page, 'desktop-04-create');
    // Seed 001's agent-manager settings; Keycloak swaps the API key for the Keycloak fields.
    await page.click('[data-testid=workload-agent-manager]');
    await page.waitForSelector('[data-testid="input-config.apiKey"]');
    await page.click('[data-testid="input-config.authenticationType"] label:has-text("Keycloak")');
    await page.waitForSelector('[data-testid="input-config.keycloakClientSecret"]');
    expect(await page.$('[data-testid="input-config.apiKey"]')).toBeNull();
    await shot(page, 'desktop-04b-create-agent-manager-keycloak');
    // Required Keycloak fields are flagged before any request.
    await page.click('[data-testid=create-button]');
    await page.waitForSelector('[data-testid="error-config.keycloakClientId"]');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('input-config.keycloakClientId');
    await page.click('[data-testid=workload-process]');
    await page.fill('[data-testid=input-name]', 'bad name!');
    await page.fill('[data-testid=input-connectTimeoutSeconds]', '5');
    await page.click('[data-testid=create-button]');
    await page.waitForSelector('[data-testid=error-connectTimeoutSeconds]');
    expect(await page.textContent('[data-testid=error-connectTimeoutSeconds]')).toMatch(/10/);
    expect(await page.textContent('[data-testid=error-name]')).toMatch(/letters, digits/);
    // Each message sits in its field's block, tied to the control for assistive tech.
    const described = await page.getAttribute('[data-testid=input-connectTimeoutSeconds]', 'aria-describedby');
    const errId = await page.getAttribute('[data-testid=error-connectTimeoutSeconds]', 'id');
    expect(described?.split(' ')).toContain(errId);
    expect(await page.getAttribute('[data-testid=input-connectTimeoutSeconds]', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('input-name');
    await shot(page, 'desktop-05-create-validation');
    const list = (await (await h.api('/v1/instances')).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(0);
    // Chromium logs every 4xx answer; this 400 is the point of the test.
    allowConsole(/status of 400/);
  });

  it('previews the user-data of a dry run with the token redacted', async () => {
    await page.fill('[data-testid=input-name]', 'e2e demo');
    await page.fill('[data-testid=input-connectTimeoutSeconds]', '120');
    await page.click('[data-testid=preview-button]');
    await page.waitForSelector('[data-testid=preview]');
    const userData = (await page.textContent('[data-testid=user-data]')) ?? '';
    expect(userData).toContain('#cloud-config');
    expect(userData).toContain('[REDACTED]');
    expect(userData).not.toMatch(/hgb_[A-Za-z0-9]/);
    expect(await page.$('[data-testid=error-name]')).toBeNull();
    await shot(page, 'desktop-06-create-preview');
  });

  it('creates a process instance on the local provider and watches it reach running live', async () => {
    await page.click('[data-testid=create-button]');
    await page.waitForSelector('[data-testid=instance-detail]');
    instanceId = /#\/instances\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
    expect(instanceId).not.toBe('');
    // No reload: the page follows the instance over SSE until the agent reports healthy.
    await page.waitForSelector('[data-testid=instance-detail][data-status=running]', { timeout: 45_000 });
    await page.waitForSelector('[data-testid=connection-badge][data-connection=connected]');
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    const row = await h.engine.store.get(instanceId);
    expect(row.status).toBe('running');
    expect(row.name).toBe('e2e demo');
    expect(row.connectTimeoutSeconds).toBe(120);

    // The timeline: every step from create_server to workload done, with a duration.
    for (const step of ['create_server', 'boot', 'enroll', 'network', 'configure', 'workload']) {
      const el = page.locator(`[data-testid=step-${step}]`);
      await expect.poll(() => el.getAttribute('data-state')).toMatch(/done|skipped/);
      if ((await el.getAttribute('data-state')) === 'done') expect(await page.textContent(`[data-testid=step-${step}-duration]`)).toMatch(/\d+(ms|\.\ds|s)/);
    }
    expect(await page.getAttribute('[data-testid=step-running]', 'data-state')).toBe('done');
    expect(await page.textContent('[data-testid=ready-in]')).toMatch(/ready in/);
    // The event log streams the bootstrap log lines the agent sent.
    await page.waitForSelector('[data-testid=event][data-kind=log]');
    await page.waitForSelector('[data-testid=event][data-kind=transition]');
    expect(await page.textContent('[data-testid=ipv4]')).toMatch(/\d+\.\d+\.\d+\.\d+/);
    expect(await page.textContent('[data-testid=bootstrap-path]')).toMatch(/Full install/);
    await expect.poll(() => page.textContent('[data-testid=last-heartbeat]'), { timeout: 10_000 }).toMatch(/ago|just now/);
    await shot(page, 'desktop-07-instance-running');
  });

  it('lists the instance with its status, step, age and price', async () => {
    await page.click('[data-testid=nav-instances]');
    const row = page.locator(`[data-testid=instance-row][data-instance-id="${instanceId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('running');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('e2e demo');
    expect(text).toContain('Local');
    expect(text).toContain('process');
    expect(text).toContain('Connected');
    expect(await row.locator('[data-testid=instance-price]').textContent()).toMatch(/0[.,]00/);
    // Filters: a status it does not have hides it; clearing them brings it back.
    await page.selectOption('[data-testid=filter-status]', 'failed');
    await page.waitForSelector('[data-testid=no-matches]');
    await page.selectOption('[data-testid=filter-status]', 'running');
    await page.selectOption('[data-testid=filter-provider]', 'local');
    await row.waitFor();
    await page.selectOption('[data-testid=filter-status]', '');
    await page.selectOption('[data-testid=filter-provider]', '');
    await shot(page, 'desktop-08-instances');
  });

  it('destroys it after confirmation and shows it stopped', async () => {
    await page.click(`[data-testid=instance-row][data-instance-id="${instanceId}"] [data-testid=instance-link]`);
    await page.waitForSelector('[data-testid=instance-detail][data-status=running]');
    await page.click('[data-testid=destroy-button]');
    const dialog = page.locator('[data-testid=destroy-dialog]');
    await dialog.waitFor({ state: 'visible' });
    // Cancel has the focus, so Enter cannot destroy by accident; Escape closes.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await shot(page, 'desktop-09-destroy-confirm', { viewportOnly: true });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await statusOf(page)).toBe('running');
    expect((await h.engine.store.get(instanceId)).status).toBe('running');

    await page.click('[data-testid=destroy-button]');
    await dialog.waitFor({ state: 'visible' });
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-testid=instance-detail][data-status=stopped]', { timeout: 45_000 });
    expect(await page.textContent('[data-testid=destroy-button]')).toBe('Destroyed');
    expect(await page.isDisabled('[data-testid=destroy-button]')).toBe(true);
    await expect.poll(() => page.getAttribute('[data-testid=step-teardown]', 'data-state')).toBe('done');
    expect((await h.engine.store.get(instanceId)).status).toBe('stopped');
    // The note and the timeline tell the same story of the server: it was deleted.
    const teardown = (await page.textContent('[data-testid=step-teardown] .tl-note')) ?? '';
    expect(teardown).toMatch(/^server \S+ deleted$/);
    expect(await page.textContent('[data-testid=server-fate]')).toContain(teardown);
    await shot(page, 'desktop-10-instance-stopped');

    // A reload (or a shared link) rebuilds the same page from the API: same tab, still signed in.
    const before = await page.locator('[data-testid=event]').count();
    await page.reload();
    await page.waitForSelector('[data-testid=instance-detail][data-status=stopped]');
    await expect.poll(() => page.locator('[data-testid=event]').count()).toBe(before);
    expect(await page.getAttribute('[data-testid=step-workload]', 'data-state')).toBe('done');
    expect(await page.getAttribute('[data-testid=step-teardown]', 'data-state')).toBe('done');
  });

  it('shows an instance stuck at its step, then why it failed', async () => {
    // A workload that never turns healthy: the agent connects, then the instance waits at the
    // workload step until its 10 s connect timeout fails it (and keeps the server, as asked).
    const res = await h.api('/v1/instances', {
      method: 'POST',
      json: { provider: 'local', name: 'stuck demo', location: 'local', serverType: 'process', config: { command: 'sleep', args: ['600'] }, connectTimeoutSeconds: 10, onFailure: 'keep' },
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await page.click('[data-testid=nav-instances]');
    const row = page.locator(`[data-testid=instance-row][data-instance-id="${id}"]`);
    await row.waitFor();
    await expect.poll(() => row.locator('[data-testid=instance-step]').textContent(), { timeout: 20_000 }).toContain('Start workload');
    expect(await row.getAttribute('data-status')).toBe('provisioning');
    await shot(page, 'desktop-11-instances-stuck');

    await expect.poll(() => row.getAttribute('data-status'), { timeout: 40_000 }).toBe('failed');
    expect(await row.locator('[data-testid=instance-step]').textContent()).toMatch(/within 10s/);
    await row.locator('[data-testid=instance-link]').click();
    await page.waitForSelector('[data-testid=instance-detail][data-status=failed]');
    expect(await page.textContent('[data-testid=failure-reason]')).toMatch(/stuck at workload/);
    await expect.poll(() => page.getAttribute('[data-testid=step-workload]', 'data-state')).toBe('failed');
    expect(await page.getAttribute('[data-testid=step-running]', 'data-state')).toBe('failed');
    await page.waitForSelector('[data-testid=event][data-kind=warning]');
    // onFailure=keep: its server is still there, and the note says so.
    expect(await page.getAttribute('[data-testid=server-fate]', 'data-fate')).toBe('kept');
    await shot(page, 'desktop-12-instance-failed');
  });

  it('shows the providers and snapshots page', async () => {
    await page.click('[data-testid=nav-providers]');
    await page.waitForSelector('[data-testid=provider-local] table');
    await page.waitForSelector('[data-testid=snapshots-empty], [data-testid=snapshots] table');
    expect(await page.textContent('[data-testid=provider-local]')).toContain('64 KiB');
    await shot(page, 'desktop-13-providers');
  });
});

describe('what the dashboard says about steps, failures and the create form', () => {
  let ctx: BrowserContext;
  let page: Page;
  let phoneCtx: BrowserContext;
  let phone: Page;
  let failedId = '';
  let destroyedId = '';

  beforeAll(async () => {
    ({ ctx, page } = await newPage(DESKTOP));
    ({ ctx: phoneCtx, page: phone } = await newPage(PHONE, { touch: true }));
    // Signed in as the sign-in form leaves it (that form is tested above): the key in session storage.
    for (const p of [page, phone]) {
      await p.goto(h.url);
      await p.evaluate((key) => sessionStorage.setItem('hangar.apiKey', key), h.apiKey);
      await p.reload();
      await p.waitForSelector('[data-testid=live-indicator]');
    }
  });
  afterAll(async () => {
    await ctx?.close();
    await phoneCtx?.close();
  });

  it('lists each provider that is not configured with the variable that enables it, as the API says, on desktop and phone', async () => {
    const { unconfigured } = (await (await h.api('/v1/providers')).json()) as { unconfigured: { name: string; enable: string }[] };
    const digitalOcean = unconfigured.find((u) => u.name === 'digital-ocean')!;
    expect(digitalOcean.enable).toMatch(/DIGITALOCEAN_API_TOKEN/);
    for (const [p, width] of [[page, DESKTOP.width], [phone, PHONE.width]] as const) {
      await p.click('[data-testid=nav-providers]');
      await p.waitForSelector('[data-testid=not-configured-digital-ocean]');
      for (const u of unconfigured) expect(await p.textContent(`[data-testid=not-configured-${u.name}]`)).toContain(u.enable);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    }
  });

  it('shows the current step in progress with its running time, and "interrupted by destroy" only after a destroy', async () => {
    // A workload that never turns healthy, with a long connect timeout: it waits at its last step.
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'slow demo', serverType: 'process', location: 'local', config: { command: 'sleep', args: ['600'] }, connectTimeoutSeconds: 300 } });
    expect(res.status).toBe(201);
    destroyedId = ((await res.json()) as { id: string }).id;
    await page.goto(`${h.url}/#/instances/${destroyedId}`);
    const workload = page.locator('[data-testid=step-workload]');
    await expect.poll(() => workload.getAttribute('data-state'), { timeout: 30_000 }).toBe('current');
    expect(await workload.textContent()).toContain('in progress');
    expect(await page.textContent('[data-testid=timeline]')).not.toContain('interrupted');
    // Its duration counts up while it runs.
    const first = await page.textContent('[data-testid=step-workload-duration]');
    await expect.poll(() => page.textContent('[data-testid=step-workload-duration]')).not.toBe(first);
    await shot(page, 'desktop-14-instance-step-in-progress');

    await h.api(`/v1/instances/${destroyedId}`, { method: 'DELETE' });
    await page.waitForSelector('[data-testid=instance-detail][data-status=stopped]', { timeout: 45_000 });
    await expect.poll(() => workload.getAttribute('data-state')).toBe('done');
    expect(await workload.textContent()).toContain('interrupted by destroy');
    expect(await page.textContent('[data-testid=step-running]')).toContain('destroyed before it was ready');
  });

  it('shows a failed instance as failed, why, an honest connection pill, and the same server facts in its note and its timeline', async () => {
    // Hetzner refuses the create (the account's server quota is used up): the create fails at
    // create_server at once, and onFailure=destroy (the default) tears it down: no server was ever created.
    hz.setFaults({ capacity: [{ location: 'fsn1', code: 'resource_limit_exceeded' }] });
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'hetzner', name: 'doomed demo', location: 'fsn1' } });
    expect(res.status).toBe(201);
    failedId = ((await res.json()) as { id: string }).id;
    const row = await h.waitFor(failedId, (r) => r.status === 'stopped', 45_000);
    hz.setFaults({ capacity: [] });
    expect(row.failureReason).toMatch(/create_server failed/);
    expect(hz.state.servers.size).toBe(0);

    for (const [p, prefix] of [
      [page, 'desktop'],
      [phone, 'phone'],
    ] as const) {
      await p.goto(`${h.url}/#/instances/${failedId}`);
      await p.waitForSelector('[data-testid=instance-detail]');
      const header = p.locator('.page-head');
      await expect.poll(() => header.locator('[data-testid=status-badge]').getAttribute('data-status')).toBe('failed');
      expect(await p.textContent('[data-testid=failure-reason]')).toMatch(/create_server failed/);
      // The agent never dialed in and never will: no "Connecting".
      for (const pill of await p.locator('[data-testid=connection-badge]').all()) expect(await pill.textContent()).not.toMatch(/connecting/i);
      // One reading of the events, in the note and in the timeline.
      await expect.poll(() => p.getAttribute('[data-testid=step-teardown]', 'data-state')).toBe('done');
      const note = (await p.textContent('[data-testid=server-fate]')) ?? '';
      const teardown = (await p.textContent('[data-testid=step-teardown] .tl-note')) ?? '';
      expect(note).toMatch(/no server was created/i);
      expect(teardown).toMatch(/no server was created/i);
      expect(`${note} ${teardown}`).not.toMatch(/deleted/i);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(prefix === 'phone' ? PHONE.width : DESKTOP.width);
      await shot(p, `${prefix}-15-instance-failed-no-server`);
    }
  });

  it('lists failed instances by default (dashboard and `hangar ls`), hides only stopped ones, and shows all on request', async () => {
    await page.goto(`${h.url}/#/instances`);
    const failed = page.locator(`[data-testid=instance-row][data-instance-id="${failedId}"]`);
    const stopped = page.locator(`[data-testid=instance-row][data-instance-id="${destroyedId}"]`);
    await failed.waitFor();
    expect(await failed.locator('[data-testid=status-badge]').getAttribute('data-status')).toBe('failed');
    expect(await failed.locator('[data-testid=connection-badge]').textContent()).not.toMatch(/connecting/i);
    expect(await failed.textContent()).toMatch(/create_server failed/);
    expect(await stopped.count()).toBe(0);
    await page.selectOption('[data-testid=filter-status]', 'all');
    await stopped.waitFor();
    await failed.waitFor();
    await page.selectOption('[data-testid=filter-status]', 'failed');
    await failed.waitFor();
    await expect.poll(() => stopped.count()).toBe(0);
    await page.selectOption('[data-testid=filter-status]', '');
    await shot(page, 'desktop-16-instances-failed-visible');

    const ls = await runCli(h, ['ls', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const ids = (JSON.parse(ls.stdout) as { id: string }[]).map((i) => i.id);
    expect(ids).toContain(failedId);
    expect(ids).not.toContain(destroyedId);
    const all = await runCli(h, ['ls', '--all', '--json']);
    expect((JSON.parse(all.stdout) as { id: string }[]).map((i) => i.id)).toEqual(expect.arrayContaining([failedId, destroyedId]));
  });

  it('keeps the user’s provider and never sends another provider’s server type, on cold loads with a slow catalogue', async () => {
    const { ctx: raceCtx, page: p } = await newPage(DESKTOP);
    try {
      // A slower machine (a phone, a busy laptop): renders take long enough for a choice to land between a render and its effects.
      const cdp = await raceCtx.newCDPSession(p);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const hetznerTypes = ((await (await h.api('/v1/providers/hetzner/server-types')).json()) as { items: { name: string }[] }).items.map((t) => t.name);
      expect(hetznerTypes.length).toBeGreaterThan(1);
      // Choose Hetzner the moment the page allows it (`providers`: the provider list arrived;
      // `types`: Local's server types arrived), as a quick user does; `user`: through Playwright.
      await p.addInitScript(() => {
        const mode = sessionStorage.getItem('e2e.pick');
        if (mode !== 'providers' && mode !== 'types') return;
        const pick = () => {
          const sel = document.querySelector<HTMLSelectElement>('[data-testid=input-provider]');
          if (!sel || sel.disabled || !sel.querySelector('option[value=hetzner]')) return false;
          if (mode === 'types' && !document.querySelector('[data-testid=server-type-process]')) return false;
          sel.value = 'hetzner';
          sel.dispatchEvent(new Event('change', { bubbles: true }));
          return true;
        };
        const mo = new MutationObserver(() => {
          if (pick()) mo.disconnect();
        });
        mo.observe(document, { subtree: true, childList: true, attributes: true });
      });
      // Slow catalogue answers (each load its own delays); Hetzner's server types are held until
      // the form has been sent, so it is sent while they load.
      let load = 0;
      let release: () => void = () => {};
      let held = new Promise<void>((r) => (release = r));
      await p.route(/\/v1\/providers(\/[^?]*)?(\?.*)?$/, async (route) => {
        const url = route.request().url();
        if (url.includes('/hetzner/server-types')) await held;
        else await new Promise((r) => setTimeout(r, (load * 37 + url.length * 13) % 250));
        await route.continue().catch(() => {});
      });
      await p.goto(h.url);
      await p.evaluate((key) => sessionStorage.setItem('hangar.apiKey', key), h.apiKey);
      const modes = ['providers', 'types', 'user'] as const;
      const sent: { mode: string; provider: string; serverType?: string }[] = [];
      // Two cold loads per way of choosing: the race showed on 4 of 11 loads before the fix.
      for (load = 0; load < 6; load++) {
        const mode = modes[load % modes.length];
        held = new Promise<void>((r) => (release = r));
        await p.evaluate((m) => sessionStorage.setItem('e2e.pick', m), mode);
        await p.goto(`${h.url}/#/create`);
        await p.reload();
        if (mode === 'user') {
          await p.waitForSelector('[data-testid=input-provider]:enabled');
          await p.selectOption('[data-testid=input-provider]', 'hetzner');
        }
        // Once Hetzner shows as chosen, send the form (as a preview) and read what was sent.
        await p.waitForSelector('[data-testid=input-provider]:enabled');
        await expect.poll(() => p.inputValue('[data-testid=input-provider]')).toBe('hetzner');
        const request = p.waitForRequest((r) => r.method() === 'POST' && r.url().includes('/v1/instances'));
        await p.click('[data-testid=preview-button]');
        const body = (await request).postDataJSON() as { provider: string; serverType?: string };
        sent.push({ mode, provider: body.provider, serverType: body.serverType });
        release();
        await p.waitForSelector('[data-testid=preview], [data-testid=form-problem]');
        // Nothing changes the choice afterwards either.
        await p.waitForSelector('[data-testid=server-types] input');
        expect(await p.inputValue('[data-testid=input-provider]')).toBe('hetzner');
        expect(await p.$('[data-testid=server-type-process]')).toBeNull();
      }
      const wrong = sent.filter((s) => s.provider !== 'hetzner' || (s.serverType !== undefined && !hetznerTypes.includes(s.serverType)));
      expect(wrong, JSON.stringify(sent)).toEqual([]);
      await p.unrouteAll({ behavior: 'ignoreErrors' });
    } finally {
      await raceCtx.close();
    }
  });

  it('does not let the SSH provider be submitted while no SSH host exists, and says how to add one', async () => {
    for (const [p, prefix] of [
      [page, 'desktop'],
      [phone, 'phone'],
    ] as const) {
      await p.goto(`${h.url}/#/create`);
      await p.waitForSelector('[data-testid=server-type-process] input:checked');
      await p.selectOption('[data-testid=input-provider]', 'ssh');
      const hint = p.locator('[data-testid=no-ssh-hosts]');
      await hint.waitFor();
      expect(await hint.textContent()).toContain('hangar hosts add');
      expect(await hint.locator('a').getAttribute('href')).toBeTruthy();
      expect(await p.isDisabled('[data-testid=create-button]')).toBe(true);
      expect(await p.isDisabled('[data-testid=preview-button]')).toBe(true);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(prefix === 'phone' ? PHONE.width : DESKTOP.width);
      await shot(p, `${prefix}-17-create-ssh-without-hosts`);
      // Another provider: the form can be sent again.
      await p.selectOption('[data-testid=input-provider]', 'hetzner');
      await p.waitForSelector('[data-testid=server-types] input');
      expect(await p.$('[data-testid=no-ssh-hosts]')).toBeNull();
      expect(await p.isDisabled('[data-testid=create-button]')).toBe(false);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(prefix === 'phone' ? PHONE.width : DESKTOP.width);
      await shot(p, `${prefix}-18-create-hetzner`);
    }
  });
});

describe('dashboard on a phone', () => {
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ ctx, page } = await newPage(PHONE, { touch: true }));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('signs in and shows the list as cards that update live', async () => {
    await signIn(page);
    await page.waitForSelector('[data-testid=instances-table]');
    // Nothing in the page's layout is wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'phone-01-instances');

    // Created elsewhere (the API), it appears and reaches running without a reload.
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'phone demo', serverType: 'process', location: 'local' } });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const row = page.locator(`[data-testid=instance-row][data-instance-id="${id}"]`);
    await row.waitFor();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 45_000 }).toBe('running');
    await shot(page, 'phone-02-instances-live');

    await row.locator('[data-testid=instance-link]').click();
    await page.waitForSelector('[data-testid=instance-detail][data-status=running]');
    await page.waitForSelector('[data-testid=event][data-kind=log]');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'phone-03-instance');

    await page.click('[data-testid=destroy-button]');
    await page.locator('[data-testid=destroy-dialog]').waitFor({ state: 'visible' });
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-testid=instance-detail][data-status=stopped]', { timeout: 45_000 });
  });

  it('fits the create form and the providers page on a phone', async () => {
    await page.click('[data-testid=nav-create]');
    await page.waitForSelector('[data-testid=server-type-process] input:checked');
    await page.click('[data-testid=workload-agent-manager]');
    await page.waitForSelector('[data-testid="input-config.gitRepositoryUrl"]');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'phone-04-create-agent-manager');
    await page.click('[data-testid=nav-providers]');
    await page.waitForSelector('[data-testid=provider-local] table');
    await shot(page, 'phone-05-providers');
  });
});

describe('dashboard without the live stream', () => {
  it('falls back to polling when the event stream cannot be opened (a buffering proxy)', async () => {
    const { ctx, page } = await newPage(DESKTOP);
    try {
      await page.route('**/v1/events*', (route) => ((route.request().headers().accept ?? '').includes('text/event-stream') ? route.abort('connectionfailed') : route.continue()));
      await signIn(page, { live: false });
      await page.waitForSelector('[data-testid=instances-table]');
      expect(await page.getAttribute('[data-testid=live-indicator]', 'data-state')).not.toBe('open');
      const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'polled demo' } });
      const { id } = (await res.json()) as { id: string };
      const row = page.locator(`[data-testid=instance-row][data-instance-id="${id}"]`);
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('running');
      await row.locator('[data-testid=instance-link]').click();
      await page.waitForSelector('[data-testid=instance-detail][data-status=running]');
      await expect.poll(() => page.getAttribute('[data-testid=step-running]', 'data-state')).toBe('done');
      await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
      await page.waitForSelector('[data-testid=instance-detail][data-status=stopped]', { timeout: 20_000 });
      await expect.poll(() => page.getAttribute('[data-testid=step-teardown]', 'data-state')).toBe('done');
    } finally {
      await ctx.close();
    }
    // Each refused stream attempt is logged by Chromium; that refusal is the test's doing.
    allowConsole(/ERR_FAILED|ERR_CONNECTION|net::/);
  });
});

describe('dashboard budget and costs', () => {
  it('shows the budget, how full it is, and what each instance costs', async () => {
    const { ctx, page } = await newPage(DESKTOP);
    try {
      expect((await h.api('/v1/budget', { method: 'PUT', json: { monthly: 150, currency: 'EUR' } })).status).toBe(200);
      const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'hetzner', name: 'priced', serverType: 'cpx22', location: 'nbg1' } });
      expect(res.status, await res.clone().text()).toBe(201);
      const { id } = (await res.json()) as { id: string };
      await signIn(page, { live: false });
      await page.click('[data-testid=nav-costs]');
      const budget = page.locator('[data-testid=budget-installation]');
      await budget.waitFor();
      expect(await budget.textContent()).toMatch(/Installation: 150\.00 EUR per month — spent \d+\.\d\d EUR, projected \d+\.\d\d EUR/);
      expect(Number(await budget.getAttribute('data-percent'))).toBeGreaterThan(0);
      const row = page.locator('[data-testid=cost-rows] tr', { has: page.locator(`a[href="#/instances/${id}"]`) });
      await expect.poll(() => row.textContent()).toMatch(/priced\s*hetzner\s*cpx22\s*nbg1/);
      expect(await page.locator('[data-testid=total-EUR]').textContent()).toMatch(/so far, .* projected/);
      await shot(page, 'desktop-costs');
    } finally {
      await ctx.close();
      await h.api('/v1/budget', { method: 'PUT', json: { monthly: null } });
    }
  });
});
