/**
 * Finding 2: `keyPath` read any file on the Hangar host, synchronously (a FIFO froze the server),
 * and its errors told whether a file existed. Key files now live in the key directory
 * (HANGAR_SSH_KEY_DIR), are read asynchronously as regular files of at most 64 KiB, and every
 * failure reads the same.
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../config.ts';
import { ValidationError } from '../../domain/errors.ts';
import { InMemorySshHostStore, redactHost, registerHost } from '../ssh.ts';

const secretKey = randomBytes(32);
let dir: string;
let keyDir: string;
const key = ssh2.utils.generateKeyPairSync('ed25519').private;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-keys-'));
  keyDir = join(dir, 'ssh-keys');
  mkdirSync(keyDir, { mode: 0o700 });
  mkdirSync(join(keyDir, 'sub'));
  writeFileSync(join(keyDir, 'k'), key, { mode: 0o600 });
  writeFileSync(join(keyDir, 'sub', 'k2'), key, { mode: 0o600 });
  writeFileSync(join(dir, 'outside'), key, { mode: 0o600 });
  writeFileSync(join(keyDir, 'big'), `${key}\n${'#'.repeat(70 * 1024)}\n`, { mode: 0o600 });
  symlinkSync(join(dir, 'outside'), join(keyDir, 'escape'));
  symlinkSync(join(keyDir, 'k'), join(keyDir, 'alias'));
  symlinkSync('/etc', join(keyDir, 'etc'));
  execFileSync('mkfifo', [join(keyDir, 'fifo')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keyPathError(keyPath: string, opts: { keyDir?: string } | undefined): Promise<{ field: string; message: string }[]> {
  const err = await registerHost(new InMemorySshHostStore(), { name: 'h', address: '203.0.113.7', keyPath }, secretKey, opts).catch((e: unknown) => e);
  expect(err, keyPath).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).status).toBe(400);
  return (err as ValidationError).errors!;
}

describe('private keys', () => {
  it('takes a key file by its name in the key directory (or an absolute path inside it)', async () => {
    const store = new InMemorySshHostStore();
    const a = await registerHost(store, { name: 'a', address: '203.0.113.7', keyPath: 'k' }, secretKey, { keyDir });
    expect(a.keyPath).toBe('k');
    const b = await registerHost(store, { name: 'b', address: '203.0.113.7', keyPath: join(keyDir, 'sub', 'k2') }, secretKey, { keyDir });
    expect(b.keyPath).toBe(join(keyDir, 'sub', 'k2'));
    await expect(registerHost(store, { name: 'c', address: '203.0.113.7', keyPath: 'alias' }, secretKey, { keyDir })).resolves.toMatchObject({ keyPath: 'alias' });
  });

  it('answers every unusable keyPath with one message that says nothing about files elsewhere', async () => {
    const paths = ['/etc/hostname', '/etc/shadow', '/nonexistent/key', join(dir, 'outside'), '../outside', 'escape', 'etc/hostname', 'missing', 'sub', 'fifo', 'big', '/dev/zero', '/proc/self/environ', `${keyDir}/../outside`];
    const seen = new Set<string>();
    for (const p of paths) {
      const errors = await keyPathError(p, { keyDir });
      expect(errors, p).toHaveLength(1);
      expect(errors[0].field).toBe('keyPath');
      expect(errors[0].message).toContain('HANGAR_SSH_KEY_DIR');
      expect(errors[0].message).not.toContain(p);
      seen.add(errors[0].message);
    }
    // Without a key directory configured, no path is read at all.
    seen.add((await keyPathError(join(keyDir, 'k'), undefined))[0].message);
    expect([...seen]).toHaveLength(1);
  });

  it('never blocks on a FIFO in the key directory', async () => {
    // A writer that unblocks a synchronous reader after a while, so a regression fails instead of hanging.
    const unblock = spawn('sh', ['-c', `sleep 3; echo x > '${join(keyDir, 'fifo')}'`], { stdio: 'ignore' });
    const t0 = Date.now();
    try {
      const errors = await keyPathError(join(keyDir, 'fifo'), { keyDir });
      expect(errors[0]).toEqual({ field: 'keyPath', message: expect.stringContaining('HANGAR_SSH_KEY_DIR') });
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      unblock.kill();
    }
  });

  it('seals an uploaded private key and passphrase, and never returns them', async () => {
    const store = new InMemorySshHostStore();
    const enc = ssh2.utils.generateKeyPairSync('ed25519', { passphrase: 'pw-secret', cipher: 'aes256-ctr', rounds: 16 }).private;
    const host = await registerHost(store, { name: 'up', address: '203.0.113.7', privateKey: enc, passphrase: 'pw-secret' }, secretKey);
    const shown = JSON.stringify(redactHost(host));
    for (const s of [host.privateKeySealed!, host.passphraseSealed!, 'PRIVATE KEY', 'pw-secret', 'privateKey', 'passphrase']) expect(shown).not.toContain(s);
    expect(redactHost(host).auth).toBe('key');
  });

  it('finds the key directory in HANGAR_SSH_KEY_DIR, by default <dataDir>/ssh-keys', () => {
    expect(configFromEnv({ HANGAR_DATA_DIR: '/srv/hangar-data' }).sshKeyDir).toBe('/srv/hangar-data/ssh-keys');
    expect(configFromEnv({ HANGAR_DATA_DIR: '/srv/hangar-data', HANGAR_SSH_KEY_DIR: '/etc/hangar/keys' }).sshKeyDir).toBe('/etc/hangar/keys');
    expect(configFromEnv({}, { dataDir: '/d' }).sshKeyDir).toBe('/d/ssh-keys');
  });
});
