import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { endQuietlyWhenReaderLeaves } from './pipes.ts';

const errno = (code: string) => Object.assign(new Error(`write ${code}`), { code });

describe('endQuietlyWhenReaderLeaves', () => {
  it('exits 0 when stdout reports a closed pipe, ignores it on stderr, and rethrows other errors', () => {
    const out = new EventEmitter();
    const err = new EventEmitter();
    const exits: number[] = [];
    endQuietlyWhenReaderLeaves(out, err, (c) => exits.push(c));
    out.emit('error', errno('EPIPE'));
    out.emit('error', errno('ERR_STREAM_DESTROYED'));
    expect(exits).toEqual([0, 0]);
    expect(() => err.emit('error', errno('EPIPE'))).not.toThrow();
    expect(exits).toEqual([0, 0]);
    expect(() => out.emit('error', errno('ENOSPC'))).toThrow(/ENOSPC/);
    expect(() => err.emit('error', errno('EIO'))).toThrow(/EIO/);
  });
});
