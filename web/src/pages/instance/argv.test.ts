import { describe, expect, it } from 'vitest';
import { splitArgv } from './argv.ts';

describe('splitArgv', () => {
  it('splits on whitespace and groups quoted words', () => {
    expect(splitArgv('  uname   -a ')).toEqual(['uname', '-a']);
    expect(splitArgv(`sh -c 'echo "hi there"'`)).toEqual(['sh', '-c', 'echo "hi there"']);
    expect(splitArgv(`echo "a \\"b\\"" c\\ d ''`)).toEqual(['echo', 'a "b"', 'c d', '']);
    expect(splitArgv('')).toEqual([]);
  });
});
