import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import { instanceIdOf, lastEventId } from './params.ts';

describe('params', () => {
  it('an instance id that is not a UUID names no instance (404, never a database error)', () => {
    expect(instanceIdOf({ params: { id: '5aa2f4bc-0000-4000-8000-000000000000' } } as never)).toBe('5aa2f4bc-0000-4000-8000-000000000000');
    expect(() => instanceIdOf({ params: { id: 'xyz' } } as never)).toThrow(NotFoundError);
    expect(isUuid('------------------------------------')).toBe(false);
  });
  it('Last-Event-ID is a non-negative integer or a 400 naming it', () => {
    expect(lastEventId(undefined, 7)).toBe(7);
    expect(lastEventId('42', undefined)).toBe(42);
    for (const bad of ['1.5', '1e20', 'Infinity', '-1', '', '9999999999999999'])
      expect(() => lastEventId(bad, undefined), bad).toThrow(ValidationError);
  });
});
