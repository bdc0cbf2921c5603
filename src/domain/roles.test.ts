import { describe, expect, it } from 'vitest';
import { ROLES, roleAllows } from './roles.ts';

describe('roleAllows', () => {
  it('orders viewer < operator < owner, with releaser beside operator', () => {
    expect(roleAllows('viewer', 'viewer')).toBe(true);
    expect(roleAllows('viewer', 'operator')).toBe(false);
    expect(roleAllows('operator', 'viewer')).toBe(true);
    expect(roleAllows('operator', 'owner')).toBe(false);
    expect(roleAllows('operator', 'releaser')).toBe(false);
    expect(roleAllows('releaser', 'releaser')).toBe(true);
    expect(roleAllows('releaser', 'operator')).toBe(false);
    expect(roleAllows('owner', 'releaser')).toBe(true);
  });
  it('lets installation admins do everything and nobody else reach admin routes', () => {
    for (const r of ROLES) {
      expect(roleAllows('admin', r)).toBe(true);
      expect(roleAllows(r, 'admin')).toBe(false);
    }
    expect(roleAllows('admin', 'admin')).toBe(true);
  });
});
