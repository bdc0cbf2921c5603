import { describe, expect, it } from 'vitest';
import { ProviderError } from '../domain/errors.ts';
import { doCapacityError } from './capacity.ts';

const unprocessable = (message: string) => new ProviderError('digital-ocean', 'unprocessable_entity', message, 422);

describe('DigitalOcean capacity errors', () => {
  it('names region and size unavailability and the droplet limit, keeping the vendor words', () => {
    const region = doCapacityError(unprocessable('Region is not available'), 'fra1', 's-1vcpu-2gb') as ProviderError;
    expect([region.code, region.retryable, region.message]).toEqual(['region_unavailable', false, 'digital-ocean: region_unavailable: s-1vcpu-2gb in fra1: Region is not available']);
    expect((doCapacityError(unprocessable('Size is not available in this region.'), 'sfo3', 'g-2vcpu-8gb') as ProviderError).code).toBe('size_unavailable');
    expect((doCapacityError(unprocessable('creating this/these droplet(s) will exceed your droplet limit'), 'fra1', 'x') as ProviderError).code).toBe('limit_exceeded');
  });

  it('leaves every other error as it was', () => {
    const other = unprocessable('Name is invalid');
    expect(doCapacityError(other, 'fra1', 'x')).toBe(other);
    const boom = new Error('boom');
    expect(doCapacityError(boom, 'fra1', 'x')).toBe(boom);
  });
});
