import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../test/helpers/db.ts';

/**
 * Migration 0008 moves snapshot builds' JSON `events` into the one event log: run 0000–0007,
 * write builds the old way, run 0008, read them back from `instance_events`.
 */
const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const files = readdirSync(DIR).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();
const statements = (file: string) => readFileSync(DIR + file, 'utf8').split('--> statement-breakpoint').map((s) => s.trim()).filter(Boolean);

let query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>;
let close: () => Promise<void>;
beforeAll(async () => {
  const db = await testDatabase('migration-0008');
  if (db.url) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    query = (text) => client.query(text);
    close = async () => {
      await client.end();
      await db.drop();
    };
  } else {
    const lite = new PGlite();
    query = (text) => lite.query(text);
    close = () => lite.close();
  }
  for (const f of files.filter((f) => f < '0008')) for (const s of statements(f)) await query(s);
});
afterAll(async () => {
  await close?.();
});

describe('migration 0008: snapshot build events join the event log', () => {
  it('moves each build’s events in order, as transitions where the status changed, and drops the JSON column', async () => {
    await query(`INSERT INTO installation DEFAULT VALUES`);
    await query(`INSERT INTO instances (id, name, server_name, provider, workload, labels) VALUES ('11111111-1111-4111-8111-111111111111', 'i', 'i-1', 'local', 'process', '{}')`);
    await query(`INSERT INTO instance_events (instance_id, actor, kind, to_status, reason) VALUES ('11111111-1111-4111-8111-111111111111', 'api', 'transition', 'pending', 'instance requested')`);
    const events = [
      { at: '2026-01-01T00:00:00.000Z', status: 'pending', message: 'snapshot build requested' },
      { at: '2026-01-01T00:00:01.000Z', status: 'pending', message: 'builder server 7 created on hetzner: full install running' },
      { at: '2026-01-01T00:00:02.000Z', status: 'building', message: 'waiting for the builder to report ready' },
      { at: '2026-01-01T00:05:00.000Z', status: 'building', message: 'builder reported failure: apt failed' },
      { at: '2026-01-01T00:05:01.000Z', status: 'failed', message: 'failed: builder reported failure: apt failed' },
    ];
    await query(`INSERT INTO snapshot_builds (id, provider, status, bootstrap_version, build_token_hash, events, created_at) VALUES ('22222222-2222-4222-8222-222222222222', 'hetzner', 'failed', 'v1', 'h', '${JSON.stringify(events)}', '2026-01-01T00:00:00Z')`);
    await query(`INSERT INTO snapshot_builds (id, provider, bootstrap_version, build_token_hash, created_at) VALUES ('33333333-3333-4333-8333-333333333333', 'hetzner', 'v1', 'h', '2026-01-02T00:00:00Z')`);

    for (const s of statements(files.find((f) => f.startsWith('0008'))!)) await query(s);

    const { rows } = await query(`SELECT id, instance_id, snapshot_build_id, at, actor, kind, from_status, to_status, reason FROM instance_events ORDER BY id`);
    expect(rows[0]).toMatchObject({ instance_id: '11111111-1111-4111-8111-111111111111', snapshot_build_id: null, reason: 'instance requested' });
    const moved = rows.slice(1);
    expect(moved.map((r) => [r.snapshot_build_id, r.instance_id])).toEqual(events.map(() => ['22222222-2222-4222-8222-222222222222', null]));
    expect(moved.map((r) => [r.kind, r.actor, r.from_status, r.to_status, r.reason])).toEqual([
      ['transition', 'engine', null, 'pending', events[0].message],
      ['info', 'engine', null, 'pending', events[1].message],
      ['transition', 'engine', 'pending', 'building', events[2].message],
      ['info', 'builder', null, 'building', events[3].message],
      ['transition', 'engine', 'building', 'failed', events[4].message],
    ]);
    expect(moved.map((r) => new Date(r.at as string).toISOString())).toEqual(events.map((e) => e.at));
    const ids = moved.map((r) => Number(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const { rows: cols } = await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'snapshot_builds' AND column_name = 'events'`);
    expect(cols).toEqual([]);
    await expect(query(`INSERT INTO instance_events (actor, kind) VALUES ('x', 'info')`)).rejects.toThrow(/instance_events_one_subject/);
  });
});
