import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRetention } from './audit-retention.ts';
import { listAudit, purgeAudit, recordAudit } from './audit.ts';
import { engineFixture, type EngineFixture } from './engine.testing.ts';

let f: EngineFixture;
beforeAll(async () => {
  f = await engineFixture('audit');
});
afterAll(async () => {
  await f?.close();
});

const old = async (days: number, action = 'old.thing') => {
  // Rows are only ever inserted: an old one is inserted with its old time.
  await f.database.executeSql(`INSERT INTO audit_log (at, actor, actor_kind, action, outcome) VALUES (now() - make_interval(days => $1), 'system', 'system', $2, 'ok')`, [days, action]);
};

describe('the audit log (database)', () => {
  it('records redacted rows and filters them by actor, action, object, project and time, with cursor paging', async () => {
    const db = f.database.db;
    await recordAudit(db, { actor: 'api:ci', action: 'POST /v1/instances', objectType: 'instance', objectId: 'i-1', outcome: 201, ip: '127.0.0.1', data: { body: { provider: 'local', secrets: { API_TOKEN: 'tok-very-secret' }, password: 'pw-very-secret' } } });
    await recordAudit(db, { actor: 'user:alice@example.com', project: 'team-a', action: 'POST /v1/instances/:id/exec', objectType: 'instance', objectId: 'i-2', outcome: 403 });
    await recordAudit(db, { actor: 'system:reconciler', action: 'orphan.delete', objectType: 'server', objectId: 'hetzner/42', outcome: 'ok' });
    const all = await listAudit(db, { limit: 10 });
    expect(all.map((r) => r.action)).toEqual(['orphan.delete', 'POST /v1/instances/:id/exec', 'POST /v1/instances']);
    expect(all.map((r) => r.actorKind)).toEqual(['system', 'user', 'api']);
    expect(JSON.stringify(all)).not.toMatch(/very-secret/);
    expect(all[2].data).toMatchObject({ body: { secrets: ['API_TOKEN'], password: '[REDACTED]' } });
    expect((await listAudit(db, { actor: 'api:ci' })).map((r) => r.objectId)).toEqual(['i-1']);
    expect((await listAudit(db, { action: 'POST /v1/instances*' })).length).toBe(2);
    expect((await listAudit(db, { object: 'instance:i-2' })).map((r) => r.actor)).toEqual(['user:alice@example.com']);
    expect((await listAudit(db, { object: 'server' })).length).toBe(1);
    expect((await listAudit(db, { project: 'team-a' })).length).toBe(1);
    expect((await listAudit(db, { since: new Date(Date.now() + 60_000) })).length).toBe(0);
    const page1 = await listAudit(db, { limit: 2 });
    const page2 = await listAudit(db, { limit: 2, before: page1[1].id });
    expect([...page1, ...page2].map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect((await listAudit(db, { after: all[2].id })).map((r) => r.id)).toEqual([all[1].id, all[0].id]);
  });

  it('is append-only in the database: UPDATE, DELETE and TRUNCATE are refused', async () => {
    const row = await recordAudit(f.database.db, { actor: 'api:x', action: 'POST /v1/x', outcome: 200 });
    await expect(f.database.executeSql(`UPDATE audit_log SET actor = 'someone-else' WHERE id = $1`, [row.id])).rejects.toThrow(/append-only/);
    await expect(f.database.executeSql(`DELETE FROM audit_log WHERE id = $1`, [row.id])).rejects.toThrow(/append-only/);
    await expect(f.database.executeSql(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    // Even with the purge flag, a recent row cannot go.
    await expect(f.database.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT set_config('hangar.audit_purge', 'on', true)`);
      await tx.execute(sql`DELETE FROM audit_log WHERE id = ${row.id}`);
    }).catch((err: Error & { cause?: Error }) => Promise.reject(err.cause ?? err))).rejects.toThrow(/append-only/);
    expect((await listAudit(f.database.db, { actor: 'api:x' })).map((r) => r.actor)).toEqual(['api:x']);
  });

  it('the retention purge deletes only rows older than the retention', async () => {
    await old(400, 'purge.me');
    await old(10, 'keep.me');
    expect(await purgeAudit(f.database.db, 365)).toBe(1);
    expect(await listAudit(f.database.db, { action: 'purge.me' })).toEqual([]);
    expect((await listAudit(f.database.db, { action: 'keep.me' })).length).toBeGreaterThan(0);
  });

  it('the scheduled pg-boss job purges and records that it did', async () => {
    await old(40, 'scheduled.purge');
    const retention = new AuditRetention({ boss: f.boss, db: f.database.db, log: pino({ level: 'silent' }), retentionDays: 30, intervalSeconds: 1, pollSeconds: 0.2 });
    await retention.start();
    try {
      const deadline = Date.now() + 20_000;
      while ((await listAudit(f.database.db, { action: 'audit.purge' })).length === 0) {
        if (Date.now() > deadline) throw new Error('waited 20 s for the scheduled audit purge');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await retention.stop();
    }
    expect(await listAudit(f.database.db, { action: 'scheduled.purge', since: new Date(0), until: new Date(Date.now() - 39 * 86_400_000) })).toEqual([]);
    const [purge] = await listAudit(f.database.db, { action: 'audit.purge' });
    expect(purge).toMatchObject({ actor: 'system:audit-retention', actorKind: 'system', outcome: 'ok' });
    expect(retention.runs).toBeGreaterThanOrEqual(1);
  });
});
