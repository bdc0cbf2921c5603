/**
 * Project roles, from least to most: a `viewer` reads; an `operator` also creates, destroys and
 * operates instances; an `owner` also manages keys, members, budgets and webhooks. A `releaser`
 * reads and publishes/approves agent releases. Installation admins (`admin`) may do everything in
 * every project.
 */
export type Role = 'viewer' | 'operator' | 'releaser' | 'owner';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'releaser', 'owner'];

/** What a caller holds: a project role, or installation admin. */
export type Grant = Role | 'admin';

const IMPLIES: Record<Grant, readonly Role[]> = {
  viewer: ['viewer'],
  operator: ['viewer', 'operator'],
  releaser: ['viewer', 'releaser'],
  owner: ['viewer', 'operator', 'releaser', 'owner'],
  admin: ['viewer', 'operator', 'releaser', 'owner'],
};

/**
 * Whether a caller holding `have` may call a route that needs `need`.
 *
 * @example
 * roleAllows('operator', 'viewer') // → true
 * roleAllows('viewer', 'operator') // → false
 * roleAllows('releaser', 'operator') // → false
 */
export function roleAllows(have: Grant, need: Role | 'admin'): boolean {
  if (have === 'admin') return true;
  if (need === 'admin') return false;
  return IMPLIES[have].includes(need);
}

/** The name of the project every installation has from its first start. */
export const DEFAULT_PROJECT = 'default';
