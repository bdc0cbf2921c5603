import { describe, expect, it } from 'vitest';
import { isStreamPath } from './register.ts';

describe('isStreamPath', () => {
  it('the ssh, port-forward and proxy paths of an instance, nothing else', () => {
    expect(isStreamPath('/v1/instances/abc/ssh?cols=80')).toBe(true);
    expect(isStreamPath('/v1/instances/abc/port-forward?port=1')).toBe(true);
    expect(isStreamPath('/v1/instances/abc/proxy/ws/live')).toBe(true);
    expect(isStreamPath('/v1/instances/abc/proxy')).toBe(true);
    expect(isStreamPath('/v1/instances')).toBe(false);
    expect(isStreamPath('/v1/instances/abc/exec')).toBe(false);
    expect(isStreamPath('//evil/v1/instances/abc/ssh')).toBe(false);
    expect(isStreamPath(undefined)).toBe(false);
  });
});
