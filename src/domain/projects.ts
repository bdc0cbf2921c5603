import { DEFAULT_PROJECT, ROLES, type Grant } from './roles.ts';

/** A project name: a DNS label (lowercase letters, digits and inner hyphens, 1–63 characters). */
export const PROJECT_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What is wrong with a project name, or null when it is fine.
 *
 * @example
 * projectNameProblem('team-a') // → null
 * projectNameProblem('Team_A') // → 'must be a DNS label: …'
 */
export function projectNameProblem(name: string): string | null {
  return PROJECT_NAME.test(name) ? null : 'must be a DNS label: 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit';
}

/** The header an admin (or a caller with several projects) names the request's project in. */
export const PROJECT_HEADER = 'x-hangar-project';

/**
 * The project a request acts in: a scoped key's own project (a header naming another one is
 * refused by the caller), or for an installation admin the header's project (default `default`).
 *
 * @example
 * requestProject({ project: 'a', role: 'operator' }, undefined) // → 'a'
 * requestProject({ project: null, role: 'admin' }, 'b') // → 'b'
 */
export function requestProject(key: { project: string | null; role: Grant }, header: string | undefined): string {
  if (key.project) return key.project;
  return header && header.length ? header : DEFAULT_PROJECT;
}

/** Whether `s` names a grant (a project role or `admin`). */
export function isGrant(s: string): s is Grant {
  return s === 'admin' || (ROLES as readonly string[]).includes(s);
}

/**
 * Parse an expiry like `90d`, `12h`, `30m` or `never` into milliseconds (null = never); throws on anything else.
 *
 * @example
 * parseExpiry('90d') // → 7776000000
 */
export function parseExpiry(s: string): number | null {
  if (s === 'never') return null;
  const m = /^(\d{1,5})([mhd])$/.exec(s);
  if (!m || Number(m[1]) === 0) throw new Error(`expiry "${s}" is not a duration like 90d, 12h, 30m or never`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}
