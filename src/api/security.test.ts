import { describe, expect, it } from 'vitest';
import { allowedHosts, hostnameOf } from './security.ts';

describe('allowedHosts', () => {
  it('loopback names, the listen address and the public URL host', () => {
    expect(allowedHosts({ host: '127.0.0.1', publicUrl: 'https://Hangar.Example.com:8443', extra: [] }).sort()).toEqual(['127.0.0.1', '::1', 'hangar.example.com', 'localhost']);
  });
  it('any host when listening everywhere with nothing to go by, or with *', () => {
    expect(allowedHosts({ host: '0.0.0.0', extra: [] })).toEqual([]);
    expect(allowedHosts({ host: '127.0.0.1', extra: ['*'] })).toEqual([]);
  });
  it('an allow-list narrows a wildcard listener', () => {
    expect(allowedHosts({ host: '::', extra: ['hangar.internal'] })).toContain('hangar.internal');
  });
});

describe('hostnameOf', () => {
  it.each([
    ['localhost:7070', 'localhost'],
    ['[::1]:7070', '::1'],
    ['EXAMPLE.com', 'example.com'],
    ['a b', null],
  ])('%s → %s', (value, name) => expect(hostnameOf(value)).toBe(name));
});
