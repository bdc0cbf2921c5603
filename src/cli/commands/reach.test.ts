import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { parsePortSpec } from './reach.ts';

describe('port-forward specs', () => {
  it('LOCAL:REMOTE or PORT; LOCAL may be 0; anything else is a usage error', () => {
    expect(parsePortSpec('8080:18789')).toEqual({ local: 8080, remote: 18789 });
    expect(parsePortSpec('18789')).toEqual({ local: 18789, remote: 18789 });
    expect(parsePortSpec('0:22')).toEqual({ local: 0, remote: 22 });
    for (const bad of ['', 'a:b', '1:0', '70000:1', '1:70000', '1:2:3', '-1']) expect(() => parsePortSpec(bad)).toThrow(UsageError);
  });
});
