/**
 * Finding 1: teardown runs `rm -rf` as root on the host's install directory (`remoteRoot`), so it
 * must be Hangar's own: `/opt/hangar` or `/opt/hangar-<name>`, written out plainly.
 */
import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors.ts';
import { InMemorySshHostStore, registerHost, remoteRootProblem, renderSshTeardown, SshProvider } from '../ssh.ts';

const secretKey = randomBytes(32);
const KEY = ssh2.utils.generateKeyPairSync('ed25519').private;

/** Roots teardown must never remove, and plain-looking tricks to reach one. */
const BAD = [
  '/usr/bin',
  '/root/.ssh',
  '/opt/hangar/../../etc',
  '/opt/hangarx',
  '/opt/hangar/',
  '/opt/hangar-ok/',
  '/opt//hangar',
  '/opt/./hangar',
  '/opt/hangar/.',
  '/opt/hangar-a/../b',
  '/opt/hangar-',
  '/opt/hangar-..',
  '/opt/hangar/sub',
  '/srv/hangar/agent-1',
  '/opt',
  '/',
  '',
  'opt/hangar',
  '/opt/hangar\n',
  '/opt/hangar ',
  "/opt/hangar-'x",
];

describe('remoteRoot', () => {
  it('accepts /opt/hangar and /opt/hangar-<name> only', () => {
    for (const ok of ['/opt/hangar', '/opt/hangar-ok', '/opt/hangar-test-1.b_c']) expect(remoteRootProblem(ok), ok).toBeNull();
    for (const bad of BAD) expect(remoteRootProblem(bad), JSON.stringify(bad)).not.toBeNull();
  });

  it('registration refuses any other root with a 400 naming remoteRoot, and stores nothing', async () => {
    const store = new InMemorySshHostStore();
    for (const remoteRoot of ['/usr/bin', '/root/.ssh', '/opt/hangar/../../etc', '/opt/hangarx']) {
      const err = await registerHost(store, { name: 'h', address: '203.0.113.7', privateKey: KEY, remoteRoot }, secretKey).catch((e: unknown) => e);
      expect(err, remoteRoot).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).status).toBe(400);
      expect((err as ValidationError).errors).toEqual([{ field: 'remoteRoot', message: expect.stringContaining('/opt/hangar') }]);
    }
    expect(await store.list()).toEqual([]);
    const ok = await registerHost(store, { name: 'h', address: '203.0.113.7', privateKey: KEY, remoteRoot: '/opt/hangar-ok' }, secretKey);
    expect(ok.remoteRoot).toBe('/opt/hangar-ok');
  });

  it('the provider refuses such a default root, and the teardown script will not render for one', () => {
    expect(() => new SshProvider({ hosts: new InMemorySshHostStore(), secretKey, agentBundle: 'x', remoteRoot: '/usr/bin' })).toThrow(ValidationError);
    expect(() => renderSshTeardown({ root: '/usr/bin', keepFiles: false, stopTimeoutSeconds: 1 })).toThrow(ValidationError);
    expect(renderSshTeardown({ root: '/opt/hangar-ok', keepFiles: false, stopTimeoutSeconds: 1 })).toContain('rm -rf -- "$ROOT"');
  });
});
