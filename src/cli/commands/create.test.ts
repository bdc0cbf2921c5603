import { describe, expect, it } from 'vitest';
import { commaList } from './create.ts';

describe('hangar create --type/--location lists', () => {
  it('keeps one value, splits an ordered list', () => {
    expect(commaList('cpx22')).toBe('cpx22');
    expect(commaList('cpx22,cx32')).toEqual(['cpx22', 'cx32']);
    expect(commaList('nbg1, fsn1 ,hel1,')).toEqual(['nbg1', 'fsn1', 'hel1']);
  });
});
