import { describe, expect, it } from 'vitest';
import { forwardHeaders, upstreamPath } from './proxy.ts';

describe('what the proxy forwards', () => {
  it('no bearer key, no proxy cookie, no hop-by-hop headers; the mount point says where it is', () => {
    expect(forwardHeaders({ authorization: 'Bearer hgr_x', cookie: 'hangar_proxy=t; a=1', accept: '*/*', connection: 'keep-alive', host: 'hangar' }, '/v1/instances/i/proxy')).toEqual({ cookie: 'a=1', accept: '*/*', 'x-forwarded-prefix': '/v1/instances/i/proxy' });
  });

  it('the path after /proxy, without a sign-in ticket', () => {
    expect(upstreamPath('/v1/instances/i/proxy/a/b?x=1&hangar_ticket=t', '/v1/instances/i/proxy')).toBe('/a/b?x=1');
    expect(upstreamPath('/v1/instances/i/proxy/', '/v1/instances/i/proxy')).toBe('/');
  });
});
