/**
 * Finding 3: probing a host was a port-scan oracle (refused vs timeout vs DNS failure). Every
 * failure before the server has shown an SSH host key is now one code, `unreachable`, with one
 * message; link-local, metadata, multicast and unspecified addresses are refused outright.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/process.ts';
import { ProviderError, ValidationError } from '../../domain/errors.ts';
import { InMemorySshHostStore, registerHost, SshProvider, type SshHost } from '../ssh.ts';

const secretKey = randomBytes(32);
const privateKey = ssh2.utils.generateKeyPairSync('ed25519').private;

describe('host addresses at registration', () => {
  const refused = [
    '169.254.169.254',
    '169.254.0.1',
    '169.254.170.2',
    'fe80::1',
    'FE80::abcd',
    'febf::1',
    'fd00:ec2::254',
    '100.100.100.200',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '224.0.0.1',
    '239.255.255.250',
    'ff02::1',
    '0.0.0.0',
    '0.1.2.3',
    '::',
    '255.255.255.255',
    'metadata.google.internal',
    'METADATA.google.internal.',
    'metadata',
    'instance-data',
    '2852039166',
    '0xa9fea9fe',
    '169.254.43518',
    'fe80::1%eth0',
  ];
  it.each(refused)('refuses %s with a 400 naming address', async (address) => {
    const err = await registerHost(new InMemorySshHostStore(), { name: 'h', address, privateKey }, secretKey).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors).toEqual([{ field: 'address', message: expect.any(String) }]);
  });

  it('accepts public, private, loopback and tailnet addresses and DNS names', async () => {
    const store = new InMemorySshHostStore();
    let n = 0;
    for (const address of ['203.0.113.7', '10.0.0.5', '192.168.1.20', '127.0.0.1', '::1', '2001:db8::1', '100.101.102.103', 'fd7a:115c:a1e0::1', 'vps-1.example.com', 'box.tail1234.ts.net']) {
      await expect(registerHost(store, { name: `h${++n}`, address, privateKey }, secretKey), address).resolves.toMatchObject({ address });
    }
  });
});

describe('connection failures before an SSH handshake', () => {
  let silent: Server;
  let chatty: Server;
  const sockets = new Set<import('node:net').Socket>();
  beforeAll(async () => {
    // Accepts and says nothing (a filtered port looks like this once the TCP handshake is done).
    silent = createServer((s) => void sockets.add(s));
    // Speaks something that is not SSH, then hangs up.
    chatty = createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await Promise.all([silent, chatty].map((srv) => new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))));
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    silent?.close();
    chatty?.close();
  });

  const portOf = (s: Server) => (s.address() as import('node:net').AddressInfo).port;

  it('refused, silent, not-SSH and unresolvable all fail as `unreachable` with the same message', async () => {
    const store = new InMemorySshHostStore();
    const provider = new SshProvider({ hosts: store, secretKey, agentBundle: 'x', connectTimeoutMs: 1500 });
    const cases: [string, string, number][] = [
      ['refused', '127.0.0.1', await freePort()],
      ['silent', '127.0.0.1', portOf(silent)],
      ['chatty', '127.0.0.1', portOf(chatty)],
      ['nodns', 'no-such-host.invalid', 22],
    ];
    const seen: string[] = [];
    for (const [name, address, port] of cases) {
      const host = await registerHost(store, { name, address, port, user: 'root', privateKey }, secretKey);
      const err = await provider.probe(host.id).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ProviderError);
      expect(err, name).toMatchObject({ code: 'unreachable', retryable: true });
      seen.push((err as Error).message.replace(`root@${address}:${port}`, '<target>'));
    }
    expect(new Set(seen).size, seen.join('\n')).toBe(1);
    expect(seen[0]).not.toMatch(/refused|timed? ?out|resolve|ENOTFOUND|ECONNREFUSED|handshake|protocol/i);
  });

  it('refuses a stored address that resolves to a forbidden one (a record from before the check)', async () => {
    const store = new InMemorySshHostStore();
    const provider = new SshProvider({ hosts: store, secretKey, agentBundle: 'x', connectTimeoutMs: 1500 });
    const ok = await registerHost(store, { name: 'old', address: '203.0.113.7', privateKey }, secretKey);
    // 2852039166 is 169.254.169.254 written as one number: resolvers accept it.
    await store.put({ ...ok, address: '2852039166' } satisfies SshHost);
    await expect(provider.probe(ok.id)).rejects.toMatchObject({ code: 'address_forbidden', retryable: false });
  });
});
