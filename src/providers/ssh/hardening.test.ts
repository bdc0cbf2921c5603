/**
 * Against a real OpenSSH server: teardown re-checks the install directory before it removes
 * anything (finding 1), and key files are read from the key directory only, at every connection
 * (finding 2).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type TestSshd } from '../../../test/helpers/sshd.ts';
import { InMemorySshHostStore, registerHost, SshProvider } from '../ssh.ts';

const secretKey = randomBytes(32);
let sshd: TestSshd;
let dir: string;
let keyDir: string;

beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'hangar-ssh-hardening-'));
  keyDir = join(dir, 'ssh-keys');
  mkdirSync(keyDir, { mode: 0o700 });
  copyFileSync(sshd.clientKeyPath, join(keyDir, 'client'));
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('teardown', () => {
  it('refuses to touch a stored install directory outside /opt/hangar*, and removes nothing', async () => {
    const store = new InMemorySshHostStore();
    const provider = new SshProvider({ hosts: store, secretKey, agentBundle: 'x', keyDir, connectTimeoutMs: 5000 });
    const host = await registerHost(store, { name: 'victim', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, hostKey: sshd.hostFingerprint }, secretKey);
    // A record written before registration checked the root (or edited in the database).
    const victim = join(dir, 'precious');
    mkdirSync(victim);
    writeFileSync(join(victim, 'canary'), 'still here');
    await store.put({ ...host, remoteRoot: victim });
    const claimed = (await store.claim(host.id, { labels: { 'hangar.dev/instance': randomUUID() }, serverName: 'hangar-victim-00000000' }))!;
    const err = await provider.deleteServer(`${host.id}~${claimed.claimId}`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_remote_root', retryable: false });
    expect((err as Error).message).toContain('remoteRoot');
    expect(existsSync(join(victim, 'canary'))).toBe(true);
    expect(await store.get(host.id)).toMatchObject({ state: 'provisioning' });
  });
});

describe('key files', () => {
  it('connects with a key file from the key directory', async () => {
    const store = new InMemorySshHostStore();
    const provider = new SshProvider({ hosts: store, secretKey, agentBundle: 'x', keyDir, connectTimeoutMs: 5000 });
    // What POST /v1/ssh-hosts calls: registration with the provider's own key directory.
    const host = await provider.register({ name: 'bykey', address: '127.0.0.1', port: sshd.port, user: sshd.user, keyPath: 'client' });
    expect(host.keyPath).toBe('client');
    await expect(provider.probe(host.id)).resolves.toMatchObject({ fingerprint: sshd.hostFingerprint });
  });

  it('refuses, at connection time, a stored keyPath outside the key directory, without saying whether it exists', async () => {
    const store = new InMemorySshHostStore();
    const provider = new SshProvider({ hosts: store, secretKey, agentBundle: 'x', keyDir, connectTimeoutMs: 5000 });
    const host = await registerHost(store, { name: 'tampered', address: '127.0.0.1', port: sshd.port, user: sshd.user, keyPath: 'client' }, secretKey, { keyDir });
    const messages = new Set<string>();
    for (const keyPath of [sshd.clientKeyPath, '/nonexistent/key', '../client']) {
      await store.put({ ...host, keyPath });
      const err = await provider.probe(host.id).catch((e: unknown) => e);
      expect(err, keyPath).toMatchObject({ code: 'key_unreadable', retryable: false });
      expect((err as Error).message).not.toContain(keyPath);
      messages.add((err as Error).message);
    }
    expect(messages.size).toBe(1);
  });
});
