import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestHangar } from '../test/helpers/hangar.ts';

const BIN = join(import.meta.dirname, '../bin/hangar.js');
const exec = promisify(execFile);

/** Run the real `hangar admin …` binary; exit code and output. */
async function admin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [BIN, 'admin', ...args], { env: { PATH: process.env.PATH ?? '' }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('hangar admin reset-key', () => {
  it('mints an admin key on a stopped installation, records it, and with --revoke-others revokes the rest', async () => {
    const first = await startTestHangar('resetkey');
    cleanups.push(() => first.db.drop());
    const where = first.db.url ? ['--database-url', first.db.url] : ['--data-dir', first.dataDir];
    if (!first.db.url) {
      // A running Hangar holds the data dir: refused, saying what to do instead.
      const busy = await admin(['reset-key', ...where]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/already running.*Stop it first.*hangar keys create --role admin/s);
      expect(busy.stdout).toBe('');
    }
    await first.stop();

    const a = await admin(['reset-key', ...where]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/other keys still work/);
    const keyA = a.stdout.trim();
    expect(keyA).toMatch(/^hgr_[A-Za-z0-9_-]{20,}$/);
    const b = await admin(['reset-key', ...where, '--revoke-others', '--name', 'ops-recovery']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/2 other admin keys revoked/);
    const keyB = b.stdout.trim();

    const again = await startTestHangar('resetkey', {}, {}, { dataDir: first.dataDir, db: { url: first.db.url, drop: async () => {} }, apiKey: keyB });
    cleanups.push(() => again.close());
    expect(again.firstApiKey).toBeNull();
    const as = (key: string) => fetch(`${again.url}/v1/keys`, { headers: { authorization: `Bearer ${key}` } });
    expect((await as(keyB)).status).toBe(200);
    expect((await as(keyA)).status).toBe(401);
    expect((await as(first.apiKey)).status).toBe(401);
    const listed = (await (await as(keyB)).json()) as { items: { name: string; role: string; createdBy: string }[] };
    expect(listed.items.map((k) => [k.name, k.role])).toEqual([['ops-recovery', 'admin']]);
    expect(listed.items[0].createdBy).toMatch(/^reset-key by /);
    const notes = await again.database.executeSql(`SELECT kind, data FROM installation_notes ORDER BY id`);
    expect(notes.rows.map((r) => [r.kind, r.data.revokedOthers])).toEqual([['admin-key-reset', 0], ['admin-key-reset', 2]]);
    expect(JSON.stringify(notes.rows)).not.toContain(keyA);
    expect(JSON.stringify(notes.rows)).not.toContain(keyB);
  }, 300_000);

  it('says where to point it when the data dir holds no installation', async () => {
    const r = await admin(['reset-key', '--data-dir', '/nonexistent-hangar-dir']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holds no Hangar database.*HANGAR_DATA_DIR/);
  });
});
