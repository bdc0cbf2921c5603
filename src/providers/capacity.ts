import { ProviderError } from '../domain/errors.ts';

/**
 * DigitalOcean answers a create it has no capacity for with 422 `unprocessable_entity` and a
 * message ("Region is not available", "Size is not available in this region"): give those the
 * codes `region_unavailable` / `size_unavailable`, so the engine moves to the next choice; and "will exceed your droplet limit" (the account's
 * quota) the code `limit_exceeded`, so it fails at once.
 *
 * @example
 * doCapacityError(new ProviderError('digital-ocean', 'unprocessable_entity', 'Region is not available', 422), 'fra1', 's-1vcpu-2gb')
 * // → ProviderError code 'region_unavailable'
 */
export function doCapacityError(err: unknown, region: string, size: string): unknown {
  if (!(err instanceof ProviderError) || err.httpStatus !== 422) return err;
  const said = err.message.replace(`${err.provider}: ${err.code}: `, '');
  const m = said.toLowerCase();
  if (/droplet limit/.test(m)) return new ProviderError('digital-ocean', 'limit_exceeded', said, 422, false);
  if (!/not available|unavailable|no capacity/.test(m)) return err;
  const code = m.includes('size') ? 'size_unavailable' : 'region_unavailable';
  return new ProviderError('digital-ocean', code, `${size} in ${region}: ${said}`, 422, false);
}
