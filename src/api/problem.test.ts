import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../test/helpers/db.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { ValidationError } from '../domain/errors.ts';
import { sendProblem, unvalidatedInput } from './problem.ts';

describe('a database error caused by unvalidated input (the last line of defence)', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await testDatabase('problem');
    drop = db.drop;
    database = await openDatabase({ url: db.url });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  /** The error the database really raises for `query` (PGlite or PostgreSQL, through drizzle). */
  const failure = async (query: ReturnType<typeof sql>) => {
    try {
      await database.db.execute(query);
    } catch (err) {
      return err;
    }
    throw new Error('the query did not fail');
  };

  it('is a 400 unvalidated-input problem, not a 500, for a non-UUID id, a NUL byte, an out-of-range number', async () => {
    const app = Fastify();
    const errors = [await failure(sql`select ${'nope'}::uuid`), await failure(sql`select ${'a\u0000b'}::text`), await failure(sql`select ${'{"a":"\\u0000"}'}::jsonb ->> 'a'`), await failure(sql`select ${'1e20'}::bigint`)];
    app.get('/:n', async (req, reply) => sendProblem(reply, errors[Number((req.params as { n: string }).n)]));
    for (const n of errors.keys()) {
      const res = await app.inject(`/${n}`);
      expect(res.statusCode, String(errors[n])).toBe(400);
      expect(res.json()).toMatchObject({ type: 'https://hangar.dev/problems/unvalidated-input', status: 400 });
      expect(res.body).not.toMatch(/select|Failed query/i);
    }
  });

  it('leaves every other error as it was: a bug is still a 500, a ValidationError keeps its fields', async () => {
    expect(unvalidatedInput(await failure(sql`select * from no_such_table`))).toBeNull();
    expect(unvalidatedInput(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBeNull();
    expect(unvalidatedInput(new TypeError('x is undefined'))).toBeNull();
    const app = Fastify();
    app.get('/bug', async (_req, reply) => sendProblem(reply, new TypeError('x is undefined')));
    app.get('/invalid', async (_req, reply) => sendProblem(reply, new ValidationError('bad', [{ field: 'cursor', message: 'not a cursor' }])));
    expect((await app.inject('/bug')).statusCode).toBe(500);
    expect((await app.inject('/invalid')).json()).toMatchObject({ status: 400, errors: [{ field: 'cursor' }] });
  });
});
