/** A UUID (any version), as the database stores ids. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `s` is a UUID: checked before an id reaches a query, so a malformed one matches
 * nothing instead of failing the uuid cast.
 *
 * @example
 * isUuid('5aa2f4bc-0000-4000-8000-000000000000') // → true
 * isUuid('------------------------------------') // → false
 */
export const isUuid = (s: string): boolean => UUID_PATTERN.test(s);
