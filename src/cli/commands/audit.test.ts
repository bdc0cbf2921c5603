import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../../../test/helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';
import { auditTime } from './audit.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('cli-audit');
});
afterAll(async () => {
  await h?.close();
});

/** Until `pred` holds of the process's output (a deadline names what was awaited). */
async function outputUntil(out: () => string, pred: (s: string) => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  while (!pred(out())) {
    if (Date.now() > deadline) throw new Error(`waited 20 s for ${what}; output so far:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('hangar audit', () => {
  it('takes ISO times and durations back from now, and names the flag of a bad one', () => {
    expect(auditTime('2026-01-01T00:00:00Z', '--since')).toBe('2026-01-01T00:00:00.000Z');
    expect(auditTime('90m', '--since', Date.parse('2026-01-01T01:30:00Z'))).toBe('2026-01-01T00:00:00.000Z');
    expect(() => auditTime('yesterday', '--until')).toThrow(/--until takes an ISO 8601 time/);
  });

  it('prints the audit log as a table or JSON, filtered; bad flags exit 2', async () => {
    expect((await h.api('/v1/providers/hetzner/credentials', { method: 'DELETE' })).status).toBe(404);
    // The row is written once the response is sent: ask until it is there.
    let json = '[]';
    for (const deadline = Date.now() + 20_000; !json.includes('DELETE /v1/providers/:provider/credentials'); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error('waited 20 s for the DELETE row in hangar audit --json');
      const r = await runCli(h, ['audit', '--json', '--action', 'DELETE *']);
      expect(r.code, r.stderr).toBe(0);
      json = r.stdout;
    }
    const rows = JSON.parse(json) as { actor: string; action: string; outcome: string; objectId: string }[];
    expect(rows).toEqual([expect.objectContaining({ actor: 'api:admin', action: 'DELETE /v1/providers/:provider/credentials', outcome: '404', objectId: 'hetzner' })]);
    const text = await runCli(h, ['audit', '--object', 'provider:hetzner', '--since', '1h']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^TIME\s+ACTOR\s+ACTION\s+OBJECT\s+OUTCOME\s+REASON/);
    expect(text.stdout).toMatch(/api:admin\s+DELETE \/v1\/providers\/:provider\/credentials\s+provider:hetzner\s+404/);
    expect((await runCli(h, ['audit', '--since', 'last tuesday'])).code).toBe(2);
    expect((await runCli(h, ['audit', '--limit', '0'])).code).toBe(2);
  });

  it('--follow prints new rows as they are written', async () => {
    const child = spawnCli(h, ['audit', '--follow', '--json', '--action', 'POST /v1/reconcile']);
    try {
      // It has started following once its first read is in the log (reads of the log are audited too).
      const before = Date.now();
      for (;;) {
        const { items } = (await (await h.api('/v1/audit?action=GET%20/v1/audit&limit=1&since=' + encodeURIComponent(new Date(before - 60_000).toISOString()))).json()) as { items: unknown[] };
        if (items.length) break;
        if (Date.now() - before > 20_000) throw new Error('waited 20 s for hangar audit --follow to start');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await h.api('/v1/reconcile', { method: 'POST' })).status).toBe(200);
      await outputUntil(child.output, (s) => s.includes('"action":"POST /v1/reconcile"'), 'the reconcile row in hangar audit --follow');
      const line = JSON.parse(child.output().trim().split('\n').find((l) => l.includes('POST /v1/reconcile'))!) as { actor: string; outcome: string };
      expect(line).toMatchObject({ actor: 'api:admin', outcome: '200' });
    } finally {
      child.kill('SIGINT');
    }
  });
});
