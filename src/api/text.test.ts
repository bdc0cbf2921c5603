import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExecBody, PublishRelease, RegisterSshHost, SnapshotReady } from './inputs.ts';
import { CreateInstance } from './schemas.ts';
import { jsonProblem, MAX_JSON_DEPTH, STORABLE_MESSAGE, storableText } from './text.ts';

const fieldsOf = (r: { success: boolean; error?: z.ZodError }) => (r.error?.issues ?? []).map((i) => i.path.join('.'));

describe('text PostgreSQL cannot store is refused at the edge, naming the field', () => {
  it('storableText: a NUL byte or an unpaired surrogate anywhere; every real character passes', () => {
    for (const ok of ['ok', '', 'é', '😀 emoji', '漢字', '\u202e']) expect(storableText(z.string().max(20)).safeParse(ok).success, ok).toBe(true);
    for (const bad of ['\u0000', 'a\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\udfff\ud800']) expect(storableText().safeParse(bad).error?.issues[0].message).toBe(STORABLE_MESSAGE);
  });

  it('jsonProblem: such a string or key anywhere in free-form JSON, or nesting too deep; iterative', () => {
    expect(jsonProblem({ a: [1, 'x😀', { b: null }] })).toBeNull();
    expect(jsonProblem({ a: ['ok', 'b\u0000'] })).toEqual({ path: ['a', 1], message: STORABLE_MESSAGE });
    expect(jsonProblem({ h: '\udfff\ud800' })?.path).toEqual(['h']);
    expect(jsonProblem({ ['k\u0000']: 1 })?.message).toBe(`keys ${STORABLE_MESSAGE}`);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(jsonProblem(deep)?.message).toBe(`must not be nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('CreateInstance: location, serverType, image and every string of config', () => {
    expect(CreateInstance.safeParse({ provider: 'local', location: 'nbg1', config: { exec: true, args: ['a'] } }).success).toBe(true);
    expect(fieldsOf(CreateInstance.safeParse({ provider: 'local', location: 'a\u0000', serverType: 'b\ud800', image: '\u0000' }))).toEqual(['location', 'serverType', 'image']);
    expect(fieldsOf(CreateInstance.safeParse({ provider: 'local', config: { args: ['ok', 'x\u0000'] } }))).toEqual(['config.args.1']);
    expect(fieldsOf(CreateInstance.safeParse({ provider: 'local', config: { a: JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`) } }))[0]).toMatch(/^config\.a\.0\.0/);
  });

  it('route inputs: exec argv, release notes, the builder report, SSH host keys and paths', () => {
    expect(fieldsOf(ExecBody.safeParse({ argv: ['ls', 'a\u0000b'] }))).toEqual(['argv.1']);
    expect(fieldsOf(PublishRelease.safeParse({ version: '1.0.0', bundle: 'eA==', signature: 's', notes: 'n\u0000' }))).toEqual(['notes']);
    expect(fieldsOf(SnapshotReady.safeParse({ ok: true, message: 'm\ud800' }))).toEqual(['message']);
    expect(fieldsOf(RegisterSshHost.safeParse({ name: 'h', address: 'x', privateKey: 'k\u0000', keyPath: '/a\u0000' }))).toEqual(['privateKey', 'keyPath']);
  });
});
