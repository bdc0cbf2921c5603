/**
 * Claiming an SSH host is atomic across replicas: the claim is a compare-and-set in the
 * database, so of two replicas (two SshProviders, each with its own connection on PostgreSQL)
 * racing for one free host exactly one provisions it and the other gets `host_busy` (or
 * `no_free_host`); a released host can be claimed again. The store contract runs on the
 * in-memory store too, so unit tests keep the same semantics.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAgentBundle } from '../../src/build/agent-bundle.ts';
import { bootstrapInput } from '../../src/bootstrap/fixtures.testing.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { DbSshHostStore } from '../../src/db/stores/ssh-hosts.ts';
import { InMemorySshHostStore, registerHost, SshProvider, type SshHost, type SshHostStore } from '../../src/providers/ssh.ts';
import type { ServerInfo, ServerSpec } from '../../src/providers/types.ts';
import { testDatabase } from '../helpers/db.ts';
import { agentsUnder } from '../helpers/procs.ts';
import { startSshd, type TestSshd } from '../helpers/sshd.ts';

const secretKey = randomBytes(32);
let sshd: TestSshd;
let bundle: string;
let pgdb: Awaited<ReturnType<typeof testDatabase>>;
const databases: Database[] = [];
const providers: SshProvider[] = [];

beforeAll(async () => {
  [sshd, bundle, pgdb] = await Promise.all([startSshd(), ensureAgentBundle(), testDatabase('ssh_claim')]);
});
afterAll(async () => {
  for (const p of providers) for (const s of await p.findServers({}).catch(() => [])) await p.deleteServer(s.id).catch(() => {});
  for (const d of databases) await d.close().catch(() => {});
  await pgdb?.drop();
  await sshd?.stop();
});

/** Two replicas' stores: two connections on PostgreSQL; one PGlite (it has a single connection) otherwise. */
async function replicaStores(): Promise<[SshHostStore, SshHostStore]> {
  const a = await openDatabase({ url: pgdb.url });
  databases.push(a);
  const b = pgdb.url ? await openDatabase({ url: pgdb.url }) : a;
  if (b !== a) databases.push(b);
  return [new DbSshHostStore(a.db), new DbSshHostStore(b.db)];
}

function owner(instance = randomUUID()) {
  return { labels: { 'hangar.dev/installation': 'test', 'hangar.dev/instance': instance }, serverName: `hangar-claim-${instance.slice(0, 8)}` };
}

let n = 0;
async function addHost(store: SshHostStore): Promise<SshHost> {
  n++;
  return registerHost(store, { name: `claim-${n}`, address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, hostKey: sshd.hostFingerprint, remoteRoot: sshd.root(`claim-${n}`) }, secretKey);
}

/** Two "replicas" sharing one in-memory store. */
async function memoryStores(): Promise<[SshHostStore, SshHostStore]> {
  const store = new InMemorySshHostStore();
  return [store, store];
}

describe.each([
  ['in memory', memoryStores],
  ['database', replicaStores],
])('SshHostStore claim/release (%s)', (_kind, stores) => {
  it('claims a free host once; the owner may claim again; release frees it for the next', async () => {
    const [a, b] = await stores();
    const host = await addHost(a);
    const first = owner();
    const second = owner();
    expect(host.claimId).toBeNull();
    expect(await a.claim(host.id, { ...first, claimId: 'c1' })).toMatchObject({ id: host.id, state: 'provisioning', labels: first.labels, serverName: first.serverName, address: '127.0.0.1', claimId: 'c1' });
    expect(await b.claim(host.id, { ...second, claimId: 'c2' })).toBeNull();
    // The owner again (a retried createServer), with the labels in another order: it keeps its claim id.
    const reordered = { ...first, labels: Object.fromEntries(Object.entries(first.labels).reverse()) };
    expect(await b.claim(host.id, { ...reordered, claimId: 'c3' })).toMatchObject({ labels: first.labels, claimId: 'c1' });
    expect(await b.claim(randomUUID(), second)).toBeNull();
    // An update merges: it never drops the claim made meanwhile.
    expect(await b.update(host.id, { state: 'ready', provisionedAt: '2026-01-01T00:00:00.000Z' })).toMatchObject({ state: 'ready', labels: first.labels, claimId: 'c1' });
    expect(await b.release(host.id, second.labels)).toBe(false);
    // Only the claim named is released: not another claim id, nor "a claim without one".
    expect(await b.release(host.id, first.labels, 'c2')).toBe(false);
    expect(await b.release(host.id, first.labels, null)).toBe(false);
    expect(await a.get(host.id)).toMatchObject({ state: 'ready', labels: first.labels, claimId: 'c1' });
    expect(await b.release(host.id, first.labels, 'c1')).toBe(true);
    expect(await a.get(host.id)).toMatchObject({ state: 'free', labels: {}, serverName: null, provisionedAt: null, claimId: null, hostKey: sshd.hostFingerprint });
    // A new claim gets a new claim id (a fresh one when none is given).
    const again = await b.claim(host.id, second);
    expect(again).toMatchObject({ state: 'provisioning', labels: second.labels, claimId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(await a.release(host.id, second.labels, 'c1')).toBe(false);
    expect(await a.release(host.id)).toBe(true);
    expect(await a.release(randomUUID())).toBe(false);
  });

  it('a claim made before claim ids (none on the host) keeps none when its owner claims again, and releases by null', async () => {
    const [a, b] = await stores();
    const host = await addHost(a);
    const o = owner();
    // As a host record written before claim ids: no claimId field at all.
    const { claimId: _none, ...legacy } = { ...host, state: 'ready' as const, labels: o.labels, serverName: o.serverName };
    await a.put(legacy as SshHost);
    expect(await b.claim(host.id, owner())).toBeNull();
    expect((await b.claim(host.id, { ...o, claimId: 'c9' }))?.claimId ?? null).toBeNull();
    expect(await b.release(host.id, o.labels, 'c9')).toBe(false);
    expect(await b.release(host.id, o.labels, null)).toBe(true);
    expect(await a.get(host.id)).toMatchObject({ state: 'free', labels: {}, claimId: null });
  });

  it('of many racing claims for one free host exactly one wins', async () => {
    const [a, b] = await stores();
    const host = await addHost(a);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).claim(host.id, owner())));
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(await a.get(host.id)).toMatchObject({ labels: winners[0]!.labels, claimId: winners[0]!.claimId });
    expect(winners[0]!.claimId).toMatch(/^[0-9a-f]{16}$/);
    await a.release(host.id);
  });
});

describe('two replicas provisioning over SSH on one database', () => {
  let replicaA: SshProvider;
  let replicaB: SshProvider;
  let store: SshHostStore;

  beforeAll(async () => {
    const [a, b] = await replicaStores();
    store = a;
    const make = (hosts: SshHostStore) => new SshProvider({ hosts, secretKey, agentBundle: async () => bundle, nodeBinary: process.execPath, start: 'nohup', connectTimeoutMs: 5000, stopTimeoutSeconds: 3 });
    replicaA = make(a);
    replicaB = make(b);
    providers.push(replicaA, replicaB);
  });

  /** A spec as the engine builds it: the structured bootstrap (and user-data, which ssh does not read). */
  function spec(location?: string): ServerSpec {
    const o = owner();
    const instanceId = o.labels['hangar.dev/instance'];
    const bootstrap = bootstrapInput({ provider: 'ssh', bootstrap: { apiUrl: 'http://127.0.0.1:9', token: 'hgb_test', instanceId, serverName: o.serverName } });
    return { name: o.serverName, labels: o.labels, userData: '#cloud-config\n', bootstrap, ...(location ? { location } : {}) };
  }

  it('one replica wins a named host, the other gets host_busy; after teardown the loser gets it', async () => {
    const host = await addHost(store);
    const root = sshd.root(host.name);
    const specs = [spec(host.name), spec(host.name)];
    const results = await Promise.allSettled([replicaA.createServer(specs[0]), replicaB.createServer(specs[1])]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = 1 - won;
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results[lost] as PromiseRejectedResult).reason).toMatchObject({ code: 'host_busy', message: expect.stringContaining(specs[won].name) });
    expect(await store.get(host.id)).toMatchObject({ state: 'ready', labels: specs[won].labels });
    expect(agentsUnder(root)).toHaveLength(1);

    const [winner, loser] = won === 0 ? [replicaA, replicaB] : [replicaB, replicaA];
    const first = (results[won] as PromiseFulfilledResult<ServerInfo>).value;
    expect(first.id).toMatch(new RegExp(`^${host.id}~[0-9a-f]{16}$`));
    await loser.deleteServer(first.id); // teardown from either replica frees the host
    expect(await store.get(host.id)).toMatchObject({ state: 'free', labels: {}, claimId: null });
    expect(agentsUnder(root)).toHaveLength(0);
    const second = await loser.createServer(specs[lost]);
    expect(second).toMatchObject({ id: expect.stringMatching(new RegExp(`^${host.id}~[0-9a-f]{16}$`)), labels: specs[lost].labels, status: 'running' });
    expect(second.id).not.toBe(first.id);
    await expect(winner.createServer(specs[won])).rejects.toMatchObject({ code: 'host_busy' });
    await winner.deleteServer(second.id);
    expect(await store.get(host.id)).toMatchObject({ state: 'free', labels: {} });
  });

  it("a late teardown of the host's previous instance leaves the next instance alone", async () => {
    const host = await addHost(store);
    const root = sshd.root(host.name);
    const a = spec(host.name);
    const b = spec(host.name);
    const serverA = await replicaA.createServer(a);
    await replicaA.deleteServer(serverA.id);
    expect(agentsUnder(root)).toHaveLength(0);
    const serverB = await replicaB.createServer(b);
    expect(serverB.id).not.toBe(serverA.id);
    const [agentB] = agentsUnder(root);
    expect(agentB).toBeDefined();
    const heldByB = { state: 'ready', labels: b.labels, serverName: b.name, claimId: serverB.id.split('~')[1] };
    expect(await store.get(host.id)).toMatchObject(heldByB);

    // A's server is gone for A, from either replica; B's server is B's.
    for (const r of [replicaA, replicaB]) {
      expect(await r.getServer(serverA.id)).toBeNull();
      expect(await r.getServer(serverB.id)).toMatchObject({ id: serverB.id, name: b.name, labels: b.labels, status: 'running' });
      expect(await r.findServers({ labels: a.labels })).toEqual([]);
      expect((await r.findServers({ labels: b.labels })).map((s) => s.id)).toEqual([serverB.id]);
    }
    // A retried teardown step of A (both replicas, also concurrently with a getServer): a no-op.
    await Promise.all([replicaA.deleteServer(serverA.id), replicaB.deleteServer(serverA.id), replicaA.getServer(serverB.id)]);
    expect(agentsUnder(root).map((p) => p.pid)).toEqual([agentB.pid]);
    expect(await store.get(host.id)).toMatchObject(heldByB);
    // A retried createServer for B (same labels) returns the same server and keeps B's claim.
    const retried = await replicaA.createServer(b);
    expect(retried).toMatchObject({ id: serverB.id, labels: b.labels, status: 'running' });
    expect(await store.get(host.id)).toMatchObject(heldByB);
    expect(agentsUnder(root)).toHaveLength(1); // the retry replaced B's agent with a new one

    await replicaB.deleteServer(serverB.id);
    expect(agentsUnder(root)).toHaveLength(0);
    expect(await store.get(host.id)).toMatchObject({ state: 'free', labels: {}, claimId: null });
    expect(await replicaA.getServer(serverB.id)).toBeNull();
  });

  it('a bare host id still names a claim made before claim ids', async () => {
    const host = await addHost(store);
    const root = sshd.root(host.name);
    const s = spec(host.name);
    const created = await replicaA.createServer(s);
    // As if provisioned before claim ids: no claim id on the host, the bare host id as server id.
    await store.update(host.id, { claimId: null });
    expect(await replicaB.getServer(created.id)).toBeNull();
    expect(await replicaB.getServer(host.id)).toMatchObject({ id: host.id, labels: s.labels, status: 'running' });
    expect((await replicaB.findServers({ labels: s.labels })).map((x) => x.id)).toEqual([host.id]);
    // Its owner's createServer retry keeps it that way.
    expect(await replicaB.createServer(s)).toMatchObject({ id: host.id, status: 'running' });
    await replicaB.deleteServer(created.id); // not this claim's id: nothing happens
    expect(agentsUnder(root)).toHaveLength(1);
    await replicaB.deleteServer(host.id);
    expect(agentsUnder(root)).toHaveLength(0);
    expect(await store.get(host.id)).toMatchObject({ state: 'free', labels: {}, claimId: null });
    // The next claim has a claim id: the bare host id no longer names it.
    const next = await replicaA.createServer(spec(host.name));
    expect(next.id).toMatch(new RegExp(`^${host.id}~`));
    expect(await replicaA.getServer(host.id)).toBeNull();
    await replicaA.deleteServer(host.id);
    expect(agentsUnder(root)).toHaveLength(1);
    await replicaA.deleteServer(next.id);
    expect(agentsUnder(root)).toHaveLength(0);
  });

  it('without a location the loser finds no free host (no_free_host) once every host is taken', async () => {
    // Free hosts: only the one added here (the previous test's host is free too: take it first).
    for (const h of await store.list()) if (h.state === 'free') await store.claim(h.id, owner());
    const host = await addHost(store);
    const specs = [spec(), spec()];
    const results = await Promise.allSettled([replicaA.createServer(specs[0]), replicaB.createServer(specs[1])]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 'no_free_host' });
    const won = results.findIndex((r) => r.status === 'fulfilled');
    expect(await store.get(host.id)).toMatchObject({ state: 'ready', labels: specs[won].labels });
    await replicaA.deleteServer((results[won] as PromiseFulfilledResult<ServerInfo>).value.id);
    expect(await store.get(host.id)).toMatchObject({ state: 'free', labels: {} });
  });
});
