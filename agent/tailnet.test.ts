import { describe, expect, it } from 'vitest';
import { CLOSE_PUBLIC_SSH_ARGV, tailscaleUpArgv } from './tailnet.ts';

describe('joining the tailnet', () => {
  it('passes the auth key as one argv element, with hostname, tags and Tailscale SSH', () => {
    expect(tailscaleUpArgv({ authKey: 'tskey-auth-x', hostname: 'h', tags: ['tag:hangar', 'tag:b'], ssh: true })).toEqual(['tailscale', 'up', '--auth-key=tskey-auth-x', '--hostname=h', '--advertise-tags=tag:hangar,tag:b', '--ssh']);
    expect(tailscaleUpArgv({ authKey: 'tskey-auth-x; rm -rf /', hostname: 'h', tags: [] })).toEqual(['tailscale', 'up', '--auth-key=tskey-auth-x; rm -rf /', '--hostname=h']);
  });

  it('runs the close-SSH script where the install script puts it', () => {
    expect(CLOSE_PUBLIC_SSH_ARGV).toEqual(['/bin/bash', '/opt/hangar/bootstrap/close-public-ssh.sh']);
  });
});
