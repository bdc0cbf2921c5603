import { describe, expect, it } from 'vitest';
import { CREATE_FIELD_FLAGS } from './commands/create.ts';
import { flagsOf } from './program.ts';

describe('a 400 on fields the flags set is a usage error', () => {
  it('maps each field (or its root: config.port → --set) to its flag', () => {
    expect(flagsOf(400, { errors: [{ field: 'serverType', message: 'm' }, { field: 'config.port', message: 'm' }] }, CREATE_FIELD_FLAGS)).toEqual({ serverType: '--type', 'config.port': '--set' });
    expect(flagsOf(400, { errors: [{ field: 'tailscaleTags[0]', message: 'm' }] }, CREATE_FIELD_FLAGS)).toEqual({ 'tailscaleTags[0]': '--tag' });
  });

  it('is not one when a field is no flag of the command, when no field is named, or for another status', () => {
    expect(flagsOf(400, { errors: [{ field: 'provider', message: 'm' }, { field: 'body', message: 'm' }] }, CREATE_FIELD_FLAGS)).toBeNull();
    expect(flagsOf(400, { errors: [] }, CREATE_FIELD_FLAGS)).toBeNull();
    expect(flagsOf(400, {}, CREATE_FIELD_FLAGS)).toBeNull();
    expect(flagsOf(422, { errors: [{ field: 'provider', message: 'm' }] }, CREATE_FIELD_FLAGS)).toBeNull();
    expect(flagsOf(400, { errors: [{ field: 'provider', message: 'm' }] }, {})).toBeNull();
  });
});
