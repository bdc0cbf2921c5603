import { describe, expect, it } from 'vitest';
import type { InstanceRow } from '../engine/store.ts';
import { decodeCursor, encodeCursor } from './serialize.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const ID = '5aa2f4bc-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

describe('list cursors', () => {
  it('round-trip what encodeCursor wrote', () => {
    const row = { createdAt: new Date('2026-03-04T05:06:07.089Z'), id: ID } as InstanceRow;
    expect(decodeCursor(encodeCursor(row))).toEqual({ createdAt: row.createdAt, id: ID });
    expect(decodeCursor(b64(`2024-01-01T00:00:00Z|${ID}`))).toEqual({ createdAt: new Date('2024-01-01T00:00:00Z'), id: ID });
  });

  it('refuse anything else before it reaches a query: an id that is not a UUID, a bad time, junk', () => {
    for (const bad of [
      b64('2024-01-01T00:00:00Z|nope'),
      b64('2024-01-01T00:00:00Z|------------------------------------'),
      b64(`2024-01-01T00:00:00Z|${ID}\u0000`),
      b64(`2024-01-01T00:00:00Z|${ID}|x`),
      b64(`2024-13-45T99:99:99Z|${ID}`),
      b64(`0000-01-01T00:00:00Z|${ID}`),
      b64(`yesterday|${ID}`),
      b64(`2024-01-01T00:00:00+02:00|${ID}`),
      b64(ID),
      `${b64(`2024-01-01T00:00:00Z|${ID}`)}==`,
      'not base64!',
      'A'.repeat(201),
      '',
    ]) {
      expect(decodeCursor(bad), Buffer.from(bad, 'base64url').toString()).toBeNull();
    }
  });
});
