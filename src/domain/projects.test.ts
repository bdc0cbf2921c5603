import { describe, expect, it } from 'vitest';
import { isGrant, parseExpiry, projectNameProblem, requestProject } from './projects.ts';

describe('projects (domain)', () => {
  it('accepts DNS labels and refuses anything else', () => {
    for (const ok of ['default', 'a', 'team-a', '0x1', 'a'.repeat(63)]) expect(projectNameProblem(ok)).toBeNull();
    for (const bad of ['', 'A', 'team_a', '-a', 'a-', 'a'.repeat(64), 'a.b', '../x', 'a b']) expect(projectNameProblem(bad)).toMatch(/DNS label/);
  });
  it('resolves the project: a scoped key keeps its own, an admin picks one or gets default', () => {
    expect(requestProject({ project: 'a', role: 'viewer' }, 'b')).toBe('a');
    expect(requestProject({ project: null, role: 'admin' }, 'b')).toBe('b');
    expect(requestProject({ project: null, role: 'admin' }, undefined)).toBe('default');
  });
  it('knows grants and parses expiries', () => {
    expect(isGrant('owner')).toBe(true);
    expect(isGrant('admin')).toBe(true);
    expect(isGrant('root')).toBe(false);
    expect(parseExpiry('90d')).toBe(90 * 86_400_000);
    expect(parseExpiry('2h')).toBe(7_200_000);
    expect(parseExpiry('never')).toBeNull();
    expect(() => parseExpiry('0d')).toThrow(/duration/);
    expect(() => parseExpiry('5y')).toThrow(/duration/);
  });
});
