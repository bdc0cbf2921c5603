import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAgentBundle } from '../build/agent-bundle.ts';
import { bootstrapInput } from '../bootstrap/fixtures.testing.ts';
import { ConflictError, ProviderError, ValidationError } from '../domain/errors.ts';
import { open } from '../domain/tokens.ts';
import { agentsUnder, processesMatching } from '../../test/helpers/procs.ts';
import { freePort } from '../../test/helpers/process.ts';
import { startSshd, type TestSshd } from '../../test/helpers/sshd.ts';
import {
  fingerprint,
  InMemorySshHostStore,
  isSupportedOs,
  normalizeHostKey,
  parseOsRelease,
  probeHost,
  redactHost,
  registerHost,
  remoteRootProblem,
  renderSshBootstrap,
  renderSshTeardown,
  newClaimId,
  parseSshServerId,
  SshProvider,
  sshServerId,
  unregisterHost,
  type SshHost,
} from './ssh.ts';
import type { ServerSpec } from './types.ts';

const secretKey = randomBytes(32);
/** Remote roots must be /opt/hangar-<name>: one per host, unique to this run. */
const ROOT_PREFIX = `/opt/hangar-test-${randomBytes(4).toString('hex')}`;

/**
 * A server spec as the engine builds it: the structured bootstrap, and user-data rendered from it
 * (which the ssh provider never reads: it is garbage here on purpose).
 */
function spec(location: string, extra: Partial<ServerSpec> = {}): ServerSpec {
  const instanceId = randomUUID();
  const name = `hangar-ssh-${instanceId.slice(0, 8)}`;
  const bootstrap = bootstrapInput({ provider: 'ssh', bootstrap: { apiUrl: 'http://127.0.0.1:9', token: 'hgb_test', instanceId, serverName: name } });
  return { name, labels: { 'hangar.dev/installation': 'test', 'hangar.dev/instance': instanceId }, location, userData: 'not cloud-init: the ssh provider reads spec.bootstrap', bootstrap, ...extra };
}

describe('pure helpers', () => {
  it('names a server by its host and claim: `<host id>~<claim id>`, a bare host id for a claim without a claim id', () => {
    const hostId = randomUUID();
    expect(sshServerId({ id: hostId, claimId: 'abc123' })).toBe(`${hostId}~abc123`);
    expect(sshServerId({ id: hostId, claimId: null })).toBe(hostId);
    expect(sshServerId({ id: hostId })).toBe(hostId);
    expect(parseSshServerId(`${hostId}~abc123`)).toEqual({ hostId, claimId: 'abc123' });
    expect(parseSshServerId(hostId)).toEqual({ hostId, claimId: null });
    expect(newClaimId()).toMatch(/^[0-9a-f]{16}$/);
    expect(newClaimId()).not.toBe(newClaimId());
  });

  it('computes host-key fingerprints exactly as ssh-keygen prints them, from blobs and public key lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-fp-'));
    try {
      for (const t of ['ed25519', 'ecdsa', 'rsa']) {
        const p = join(dir, t);
        execFileSync('ssh-keygen', ['-q', '-t', t, '-N', '', '-f', p]);
        const line = readFileSync(`${p}.pub`, 'utf8').trim();
        const want = /(SHA256:\S+)/.exec(execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${p}.pub`], { encoding: 'utf8' }))![1];
        expect(fingerprint(Buffer.from(line.split(' ')[1], 'base64'))).toBe(want);
        expect(normalizeHostKey(line)).toBe(want);
        expect(normalizeHostKey(`[203.0.113.7]:2222 ${line}`)).toBe(want);
        expect(normalizeHostKey(want)).toBe(want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(normalizeHostKey('SHA256:short')).toBeNull();
    expect(normalizeHostKey('ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQC7')).toBeNull();
  });

  it('accepts Debian, Ubuntu and their derivatives only', () => {
    const deb = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n');
    expect(deb).toMatchObject({ ID: 'debian', VERSION_ID: '12', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' });
    expect(isSupportedOs(deb)).toBe(true);
    expect(isSupportedOs(parseOsRelease('ID=ubuntu\nVERSION_ID="24.04"\nID_LIKE=debian'))).toBe(true);
    expect(isSupportedOs(parseOsRelease('ID=linuxmint\nID_LIKE="ubuntu debian"'))).toBe(true);
    expect(isSupportedOs(parseOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"'))).toBe(false);
    expect(isSupportedOs(parseOsRelease('ID=alpine'))).toBe(false);
    expect(isSupportedOs(parseOsRelease(''))).toBe(false);
  });

  it('refuses remote roots teardown could not safely remove', () => {
    expect(remoteRootProblem('/opt/hangar')).toBeNull();
    expect(remoteRootProblem('/opt/hangar-agent-1')).toBeNull();
    for (const bad of ['/', '/usr', '/opt', '/etc/', 'opt/hangar', '/opt/../etc', '/opt/ha ngar', "/opt/h'x", '/hangar', '/srv/hangar/agent-1']) expect(remoteRootProblem(bad), bad).not.toBeNull();
    expect(() => new SshProvider({ hosts: new InMemorySshHostStore(), secretKey, agentBundle: 'x', remoteRoot: '/etc' })).toThrow(ValidationError);
  });

  it('renders bootstrap and teardown scripts that pass shellcheck and sh -n', () => {
    const common = { root: '/opt/hangar', stopTimeoutSeconds: 10 };
    const scripts = [
      renderSshBootstrap({ ...common, node: 'node', start: 'nohup', instanceId: randomUUID(), serverName: 'hangar-x-0f0e0d0c', bundleSha: 'ab'.repeat(32), installScript: false, bootstrapJson: '{"token":"hgb_x"}' }),
      renderSshBootstrap({ ...common, node: '/usr/bin/node', start: 'systemd', instanceId: randomUUID(), serverName: 'hangar-x-0f0e0d0c', bundleSha: 'ab'.repeat(32), installScript: true, bootstrapJson: '{"token":"hgb_x"}' }),
      renderSshTeardown({ ...common, keepFiles: false }),
      renderSshTeardown({ ...common, keepFiles: true }),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'hangar-sh-'));
    try {
      scripts.forEach((s, i) => {
        const p = join(dir, `s${i}.sh`);
        writeFileSync(p, s);
        execFileSync('sh', ['-n', p]);
        execFileSync('shellcheck', ['-s', 'sh', p]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(scripts[2]).toContain('rm -rf -- "$ROOT"');
    expect(scripts[3]).not.toContain('rm -rf');
  });
});

describe('registerHost', () => {
  let keyText: string;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-reg-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pw', '-f', join(dir, 'enc')]);
    keyText = readFileSync(join(dir, 'k'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores the private key sealed, defaults port 22 and user root, and trusts on first use without a pin', async () => {
    const store = new InMemorySshHostStore();
    const host = await registerHost(store, { name: 'vps-1', address: '203.0.113.7', privateKey: keyText }, secretKey);
    expect(host).toMatchObject({ name: 'vps-1', port: 22, user: 'root', hostKey: null, hostKeyTrust: 'tofu', state: 'free', labels: {}, keyPath: null });
    expect(host.privateKeySealed).not.toContain('PRIVATE KEY');
    expect(open(host.privateKeySealed!, secretKey)).toBe(keyText);
    expect(await store.get(host.id)).toEqual(host);
    expect(JSON.stringify(redactHost(host))).not.toContain(host.privateKeySealed!);
    expect(redactHost(host).auth).toBe('key');
    const pinned = await registerHost(store, { name: 'vps-2', address: 'vps2.example.com', port: 2222, user: 'deploy', keyPath: 'k', hostKey: readFileSync(join(dir, 'k.pub'), 'utf8') }, secretKey, { keyDir: dir });
    expect(pinned.hostKeyTrust).toBe('pinned');
    expect(pinned.hostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const enc = await registerHost(store, { name: 'vps-3', address: '2001:db8::1', keyPath: join(dir, 'enc'), passphrase: 'pw' }, secretKey, { keyDir: dir });
    expect(open(enc.passphraseSealed!, secretKey)).toBe('pw');
    await expect(registerHost(store, { name: 'vps-1', address: '198.51.100.1', privateKey: keyText }, secretKey)).rejects.toBeInstanceOf(ConflictError);
  });

  it('names every bad field in one ValidationError', async () => {
    const store = new InMemorySshHostStore();
    const fields = async (input: object) => {
      try {
        await registerHost(store, input as never, secretKey, { keyDir: dir });
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        return (err as ValidationError).errors!.map((e) => e.field).sort();
      }
      throw new Error('accepted');
    };
    expect(await fields({ name: 'Bad Name', address: 'a b', port: 70000, user: 'r;m', privateKey: keyText, hostKey: 'md5:xx', remoteRoot: '/usr' })).toEqual(['address', 'hostKey', 'name', 'port', 'remoteRoot', 'user']);
    expect(await fields({ name: 'h', address: '203.0.113.7' })).toEqual(['privateKey']);
    expect(await fields({ name: 'h', address: '203.0.113.7', privateKey: keyText, keyPath: join(dir, 'k') })).toEqual(['keyPath']);
    expect(await fields({ name: 'h', address: '203.0.113.7', privateKey: 'not a key' })).toEqual(['privateKey']);
    expect(await fields({ name: 'h', address: '203.0.113.7', privateKey: readFileSync(join(dir, 'k.pub'), 'utf8') })).toEqual(['privateKey']);
    expect(await fields({ name: 'h', address: '203.0.113.7', keyPath: join(dir, 'enc') })).toEqual(['keyPath']);
    expect(await fields({ name: 'h', address: '203.0.113.7', keyPath: 'relative/key' })).toEqual(['keyPath']);
    expect(await fields({ name: 'h', address: '203.0.113.7', keyPath: '/etc/hostname' })).toEqual(['keyPath']);
    expect(await fields({ name: 'h', address: '203.0.113.7', keyPath: join(dir, 'missing') })).toEqual(['keyPath']);
    expect(await store.list()).toEqual([]);
  });
});

describe('against a real OpenSSH server', () => {
  let sshd: TestSshd;
  let bundle: string;
  const providers: SshProvider[] = [];
  let n = 0;

  beforeAll(async () => {
    [sshd, bundle] = await Promise.all([startSshd(), ensureAgentBundle()]);
  });
  afterAll(async () => {
    // Stop any agent a failing test left behind, then the server.
    for (const p of providers) for (const s of await p.findServers({})) await p.deleteServer(s.id).catch(() => {});
    await sshd?.stop();
    for (let i = 1; i <= n; i++) rmSync(`${ROOT_PREFIX}-${i}`, { recursive: true, force: true });
  });

  /** A store with one host on the test sshd, and a provider with a scratch remote root per host. */
  async function setup(host: Partial<Parameters<typeof registerHost>[1]> = {}, opts: Partial<ConstructorParameters<typeof SshProvider>[0]> = {}) {
    const store = new InMemorySshHostStore();
    const lines: string[] = [];
    const root = `${ROOT_PREFIX}-${++n}`;
    const h = await registerHost(store, { name: `h${n}`, address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, hostKey: sshd.hostFingerprint, remoteRoot: root, ...host }, secretKey);
    const provider = new SshProvider({ hosts: store, secretKey, agentBundle: async () => bundle, nodeBinary: process.execPath, start: 'nohup', connectTimeoutMs: 5000, stopTimeoutSeconds: 3, onLog: (_id, l) => lines.push(l), ...opts });
    providers.push(provider);
    return { store, host: h, provider, root, lines };
  }

  it('provisions: uploads the bundle and a 0600 bootstrap config, starts the real agent detached, streams the output; teardown removes it all and keeps the host', async () => {
    const { store, host, provider, root, lines } = await setup();
    const s = spec(host.name);
    const info = await provider.createServer(s);
    // The server id names this claim of the host: `<host id>~<claim id>`.
    expect(info).toMatchObject({ id: expect.stringMatching(new RegExp(`^${host.id}~[0-9a-f]{16}$`)), name: s.name, labels: s.labels, status: 'running', ipv4: '127.0.0.1', location: host.name });
    expect(info.id).toBe(sshServerId((await store.get(host.id))!));
    const agents = agentsUnder(root);
    expect(agents).toHaveLength(1);
    expect(Number(readFileSync(join(root, 'run', 'agent.pid'), 'utf8'))).toBe(agents[0].pid);
    expect(statSync(join(root, 'config', 'bootstrap.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'config')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(join(root, 'config', 'bootstrap.json'), 'utf8')).instanceId).toBe(s.labels['hangar.dev/instance']);
    expect(readFileSync(join(root, 'agent', 'agent.mjs'))).toEqual(readFileSync(bundle));
    expect(lines.some((l) => l.startsWith(`connected to ${sshd.user}@127.0.0.1:${sshd.port} (Debian`))).toBe(true);
    expect(lines.some((l) => /hangar-ssh: agent started \(pid \d+\)/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('wrote the bootstrap config (0600)'))).toBe(true);
    expect(readFileSync(join(root, 'logs', 'install.log'), 'utf8')).toContain('agent started');
    expect(readFileSync(join(root, 'logs', 'install.log'), 'utf8')).not.toContain('hgb_');

    expect(await provider.findServers({ labels: { 'hangar.dev/instance': s.labels['hangar.dev/instance'] } })).toHaveLength(1);
    expect(await provider.findServers({ name: s.name })).toHaveLength(1);
    expect(await provider.findServers({ labels: { 'hangar.dev/instance': 'other' } })).toEqual([]);
    expect((await provider.getServer(info.id))?.status).toBe('running');
    expect(await provider.getServer(host.id)).toBeNull(); // a bare host id names only a claim from before claim ids
    expect(await provider.getServer(`${host.id}~${'0'.repeat(16)}`)).toBeNull();
    expect((await provider.listLocations())[0]).toMatchObject({ name: host.name });
    expect((await provider.listServerTypes())[0]).toMatchObject({ name: host.name, prices: [{ location: host.name, monthly: 0 }] });
    expect((await provider.listServerTypes())[0].cores).toBeGreaterThan(0);

    // Another instance cannot take a busy host.
    await expect(provider.createServer(spec(host.name))).rejects.toMatchObject({ code: 'host_busy' });

    // Neither the bare host id nor another claim's id tears it down.
    await provider.deleteServer(host.id);
    await provider.deleteServer(`${host.id}~${'0'.repeat(16)}`);
    expect(agentsUnder(root)).toHaveLength(1);
    await provider.deleteServer(info.id);
    expect(agentsUnder(root)).toHaveLength(0);
    expect(existsSync(root)).toBe(false);
    expect(await provider.getServer(info.id)).toBeNull();
    expect(await provider.findServers({})).toEqual([]);
    expect(await store.get(host.id)).toMatchObject({ id: host.id, state: 'free', labels: {}, serverName: null, claimId: null });
    await provider.deleteServer(info.id); // deleting again is harmless
    await provider.deleteServer(host.id);
    await provider.deleteServer(randomUUID()); // unknown id: already gone
    await expect(unregisterHost(store, host.id)).resolves.toBeUndefined();
  });

  it('re-running on the same host replaces the previous agent (idempotent) and skips an unchanged bundle', async () => {
    const { host, provider, root, lines } = await setup();
    const s = spec(host.name);
    const created = await provider.createServer(s);
    const [first] = agentsUnder(root);
    lines.length = 0;
    const again = await provider.createServer(s);
    expect(again.status).toBe('running');
    expect(again.id).toBe(created.id); // the same claim: the same server id
    const agents = agentsUnder(root);
    expect(agents).toHaveLength(1);
    expect(agents[0].pid).not.toBe(first.pid);
    expect(lines).toContain('agent bundle already up to date');
    expect(lines.some((l) => l.includes(`stopping the agent (pid ${first.pid}`))).toBe(true);
    // keepFiles: teardown stops the agent but leaves the files (without the agent's identity).
    const store = provider.hosts;
    await store.put({ ...(await store.get(host.id))!, keepFiles: true });
    await provider.deleteServer(again.id);
    expect(agentsUnder(root)).toHaveLength(0);
    expect(existsSync(join(root, 'agent', 'agent.mjs'))).toBe(true);
    expect(existsSync(join(root, 'config', 'bootstrap.json'))).toBe(false);
  });

  it('teardown also stops an agent whose supervisor was killed (found by its config path)', async () => {
    const { host, provider, root } = await setup();
    const info = await provider.createServer(spec(host.name));
    const ours = () => processesMatching(`--config ${join(root, 'config', 'bootstrap.json')} `);
    await expect.poll(() => ours().length).toBe(2); // the supervisor and the agent it runs
    process.kill(agentsUnder(root)[0].pid, 'SIGKILL');
    await expect.poll(() => agentsUnder(root).length).toBe(0);
    expect(ours()).toHaveLength(1); // the orphaned agent runs on
    await provider.deleteServer(info.id);
    expect(ours()).toEqual([]);
  });

  it('a connection dropped mid-upload fails with retryable connection_lost and frees the host; the retry succeeds', async () => {
    let killed = 0;
    const { store, host, provider, root } = await setup({}, {
      onLog: (_id, l) => {
        if (!killed && l.startsWith('uploading the agent bundle')) killed = sshd.killSessions();
      },
    });
    const s = spec(host.name);
    const err = await provider.createServer(s).catch((e: unknown) => e);
    expect(killed).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'connection_lost', retryable: true });
    expect((err as Error).message).toMatch(/lost while uploading .*agent\.mjs/);
    expect(await store.get(host.id)).toMatchObject({ state: 'free', labels: {} });
    expect(await provider.findServers({ labels: s.labels })).toEqual([]);
    expect(agentsUnder(root)).toHaveLength(0);

    const info = await provider.createServer(s);
    expect(info.status).toBe('running');
    expect(agentsUnder(root)).toHaveLength(1);
    await provider.deleteServer(info.id);
    expect(agentsUnder(root)).toHaveLength(0);
  });

  it('refuses a wrong client key with auth_failed', async () => {
    const { store, host, provider } = await setup({ privateKey: sshd.wrongClientKey });
    const err = await provider.createServer(spec(host.name)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'auth_failed', retryable: false });
    expect((err as Error).message).toContain(`authentication as ${sshd.user}`);
    expect(await store.get(host.id)).toMatchObject({ state: 'free', labels: {} });
  });

  it('refuses a server whose host key does not match the pin, naming both fingerprints', async () => {
    const { host, provider, root } = await setup({ hostKey: sshd.otherHostFingerprint });
    const err = await provider.createServer(spec(host.name)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'host_key_mismatch', retryable: false });
    expect((err as Error).message).toContain(sshd.hostFingerprint);
    expect((err as Error).message).toContain(sshd.otherHostFingerprint);
    expect(existsSync(root)).toBe(false);
    await expect(probeHost(host, secretKey)).rejects.toMatchObject({ code: 'host_key_mismatch' });
  });

  it('trusts on first use: records the fingerprint, then enforces it', async () => {
    const { store, host, provider } = await setup({ hostKey: undefined });
    expect(host.hostKey).toBeNull();
    const probed = await provider.probe(host.id);
    expect(probed).toMatchObject({ fingerprint: sshd.hostFingerprint, os: 'debian' });
    expect(probed.arch).toMatch(/^(x86_64|aarch64)$/);
    const rec = (await store.get(host.id))!;
    expect(rec).toMatchObject({ hostKey: sshd.hostFingerprint, hostKeyTrust: 'tofu' });
    expect(rec.hostKeyRecordedAt).toBeTruthy();
    expect(rec.facts?.os).toBe('debian');
    // The recorded key is now enforced: a server presenting another key is refused.
    const tampered: SshHost = { ...rec, hostKey: sshd.otherHostFingerprint };
    await store.put(tampered);
    await expect(provider.probe(host.id)).rejects.toMatchObject({ code: 'host_key_mismatch' });
    expect((await store.get(host.id))!.hostKey).toBe(sshd.otherHostFingerprint);
  });

  it('a refused connection is `unreachable`; teardown of an unreachable host fails retryably and keeps the host and its labels', async () => {
    const { store, host, provider } = await setup({ port: await freePort() });
    await expect(provider.createServer(spec(host.name))).rejects.toMatchObject({ code: 'unreachable', retryable: true });
    const labels = { 'hangar.dev/installation': 'test', 'hangar.dev/instance': randomUUID() };
    await store.put({ ...(await store.get(host.id))!, state: 'ready', labels, serverName: 'hangar-gone-00000000' });
    const err = await provider.deleteServer(host.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'unreachable', retryable: true });
    expect(await store.get(host.id)).toMatchObject({ state: 'ready', labels });
    await store.put({ ...(await store.get(host.id))!, state: 'free', labels: {}, serverName: null });
  });

  it('runs the install script rendered from the spec when asked, streaming its output, then starts the agent', async () => {
    const rendered: string[] = [];
    const installScript = (input: { bootstrap: { serverName: string } }) => (rendered.push(input.bootstrap.serverName), '#!/bin/bash\necho "installing packages"\necho "hardening sshd" >&2\n');
    const { host, provider, root, lines } = await setup({}, { installScript });
    const s = spec(host.name);
    const info = await provider.createServer(s);
    expect(rendered).toEqual([s.name]);
    expect(lines).toEqual(expect.arrayContaining(['installing packages', 'hardening sshd']));
    expect(statSync(join(root, 'bootstrap', 'install.sh')).mode & 0o777).toBe(0o700);
    expect(agentsUnder(root)).toHaveLength(1);
    await provider.deleteServer(info.id);
  });

  it('reports a missing node and host_not_found', async () => {
    const { host, provider, store } = await setup({}, { nodeBinary: '/nonexistent/node' });
    await expect(provider.createServer(spec(host.name))).rejects.toMatchObject({ code: 'node_missing', retryable: false });
    expect(await store.get(host.id)).toMatchObject({ state: 'free' });
    await expect(provider.createServer(spec('nope'))).rejects.toMatchObject({ code: 'host_not_found' });
  });
});
