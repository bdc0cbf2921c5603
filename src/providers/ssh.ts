/**
 * The `ssh` provider: bring your own server. A "server" is a registered host (a VPS the user
 * already has) on which Hangar installs and starts the agent over SSH; the agent then enrolls
 * and dials home like on any cloud.
 *
 * - Hosts are registered with {@link registerHost} (address, port, user, a private key sealed
 *   with the installation's secret key or the name of a key file in the key directory
 *   `HANGAR_SSH_KEY_DIR`, and a pinned host-key fingerprint or trust on first use) and kept in an
 *   {@link SshHostStore}. Link-local, metadata, multicast and unspecified addresses are refused
 *   (src/providers/ssh/address.ts); key files never come from outside the key directory
 *   (src/providers/ssh/keys.ts).
 * - `createServer(spec)` picks the host named by `spec.location` (host name or id; falling back
 *   to `spec.serverType`, then to any free host) and claims it with a compare-and-set in the
 *   store ({@link SshHostStore.claim}: of replicas racing for one host exactly one wins, the
 *   others get `host_busy` or try the next free host), connects with ssh2 enforcing the host key,
 *   uploads the agent bundle and the bootstrap config of `spec.bootstrap` (0600, under the
 *   remote root: `/opt/hangar` (default) or `/opt/hangar-<name>`, checked again before anything
 *   runs, src/providers/ssh/remote-root.ts), runs a small POSIX `sh` bootstrap whose output is
 *   streamed line by line to `onLog` (and appended to `<root>/logs/install.log`, which the agent
 *   forwards as instance events), and starts the agent detached: a systemd unit when systemd is
 *   PID 1 and we are root (or have sudo), otherwise `setsid nohup` (src/providers/ssh/install.ts).
 *   Re-running on the same host for the same instance stops the previous agent first (idempotent).
 * - Server ids are per claim, `<host id>~<claim id>` ({@link sshServerId}): claiming a free host
 *   records a fresh random `claimId` on it (in the same compare-and-set as the claim), the owner
 *   claiming again keeps it, releasing clears it. Host ids are reused by the next instance, claim
 *   ids never are, so a late `getServer`/`deleteServer` with a previous instance's server id finds
 *   nothing (null / no-op) instead of that next instance's server. A bare host id (what servers
 *   got before claim ids) stands for a claim made before them, i.e. one without a `claimId`.
 * - `deleteServer(id)` stops the agent (SIGTERM to its process group: the agent stops its
 *   workload first; any process running with this root's `--config`, so an agent its supervisor
 *   left behind too), removes the unit and the remote root unless `keepFiles`, and clears the
 *   host's labels, only while the host is still held by that server id's claim (otherwise the
 *   server is already gone). It never deletes the host record.
 * - Errors are {@link ProviderError}s with stable codes: `unreachable` (every failure before an
 *   SSH handshake, one message: no port-scan oracle; retryable), `address_forbidden`,
 *   `auth_failed`, `host_key_mismatch` (both fingerprints in the message), `key_unreadable`,
 *   `unsupported_os`, `connection_lost` (retryable), `invalid_remote_root`, `host_not_found`,
 *   `host_busy`, `no_free_host`, `node_missing`, `bootstrap_failed`, …
 *
 * @example
 * const hosts = new InMemorySshHostStore();
 * await registerHost(hosts, { name: 'vps-1', address: '203.0.113.7', privateKey: pem }, secretKey);
 * const ssh = new SshProvider({ hosts, secretKey, agentBundle: ensureAgentBundle, keyDir: '/var/lib/hangar/ssh-keys' });
 * await ssh.createServer({ name, labels, location: 'vps-1', userData, bootstrap }); // → { id: '<host id>~<claim id>', status: 'running', … }
 */
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import type { BootstrapInput } from '../bootstrap/types.ts';
import type { BootstrapConfig } from '../domain/agent-contract.ts';
import type { ProviderError } from '../domain/errors.ts';
import { LABEL_INSTANCE } from '../domain/names.ts';
import { agentConfigOf } from './agent-config.ts';
import { connect, outputTail, sshError, target, type SshConnection } from './ssh/connection.ts';
import { newClaimId, type SshHost } from '../domain/ssh-hosts.ts';
import { claimable, holdsClaim, parseSshServerId, sshServerId, type SshHostStore } from './ssh/hosts.ts';
import { installAgent } from './ssh/install.ts';
import { runProbe, requireSupportedOs, type ProbeResult } from './ssh/probe.ts';
import { registerHost, type RegisterHostInput } from './ssh/register.ts';
import { assertRemoteRoot, checkedRoot, DEFAULT_REMOTE_ROOT } from '../bootstrap/remote-root.ts';
import { ELEVATED_SH, renderSshTeardown } from '../bootstrap/ssh-scripts.ts';
import type { CloudProvider, FindQuery, Image, Location, ServerInfo, ServerSpec, ServerType } from './types.ts';

// The provider's parts live in ./ssh/; everything the rest of Hangar imports from here stays here.
export { AddressRefused, addressProblem, isForbiddenIp } from './ssh/address.ts';
export { sshError, target, unreachable } from './ssh/connection.ts';
export { FREE_HOST, newClaimId } from '../domain/ssh-hosts.ts';
export type { SshClaim, SshHost, SshHostFacts } from '../domain/ssh-hosts.ts';
export { holdsClaim, InMemorySshHostStore, parseSshServerId, sshServerId } from './ssh/hosts.ts';
export type { SshHostStore } from './ssh/hosts.ts';
export { KEY_DIR_ENV, KEY_FILE_MAX_BYTES, NO_KEY_FILE, readKeyInDir, readRegularFile } from './ssh/keys.ts';
export { isSupportedOs, parseOsRelease, probeHost } from './ssh/probe.ts';
export type { ProbeResult } from './ssh/probe.ts';
export { fingerprint, normalizeHostKey, redactHost, registerHost, unregisterHost } from './ssh/register.ts';
export type { RedactedSshHost, RegisterHostInput, RegisterHostOptions } from './ssh/register.ts';
export { DEFAULT_REMOTE_ROOT, remoteRootProblem } from '../bootstrap/remote-root.ts';
export { renderSshBootstrap, renderSshTeardown, SSH_AGENT_UNIT } from '../bootstrap/ssh-scripts.ts';
export type { SshBootstrapInput, SshTeardownInput } from '../bootstrap/ssh-scripts.ts';

// ── the provider ──────────────────────────────────────────────────────────────────────────

export interface SshProviderOptions {
  hosts: SshHostStore;
  /** The installation's secret key (opens sealed private keys). */
  secretKey: Buffer;
  /** Path of the agent bundle (agent/dist/agent.mjs), e.g. `ensureAgentBundle`. */
  agentBundle: string | (() => Promise<string>);
  /** The node the agent runs on, on the host (name on PATH or absolute path). Default `node`. */
  nodeBinary?: string;
  /** Where Hangar installs on hosts without their own `remoteRoot`: `/opt/hangar` (default) or `/opt/hangar-<name>`. */
  remoteRoot?: string;
  /**
   * The key directory (HANGAR_SSH_KEY_DIR, default `<dataDir>/ssh-keys`): hosts registered with a
   * `keyPath` read their key from there, and only from there, at each connection. Unset: no key
   * files at all (uploaded keys only).
   */
  keyDir?: string;
  /** How the agent is started: `auto` (default) = systemd when it is PID 1 and we are root or have sudo, else nohup. */
  start?: 'auto' | 'systemd' | 'nohup';
  /**
   * Also upload and run an install script rendered from `spec.bootstrap` by this function, e.g.
   * src/bootstrap's `renderInstallScript` (what cloud-init would run: Docker, Node.js, Tailscale,
   * hardening; it assumes `/opt/hangar` and root). Default none: the host needs Node.js 20+ already.
   */
  installScript?: (input: BootstrapInput) => string;
  /** Default for hosts: keep remote files on teardown. Default false. */
  keepFiles?: boolean;
  /** Each bootstrap output line, with the instance id (`hangar.dev/instance` label, else the server name). */
  onLog?: (instanceId: string, line: string) => void;
  /** SSH handshake timeout, ms. Default 20 000. */
  connectTimeoutMs?: number;
  /** Bootstrap script timeout, ms. Default 15 minutes (the install script installs packages). */
  bootstrapTimeoutMs?: number;
  /** Seconds between SIGTERM and SIGKILL when stopping an agent. Default 10. */
  stopTimeoutSeconds?: number;
}

/**
 * The `ssh` provider (see the module comment). A host is a "server" while an instance is
 * provisioned on it, named by the claim (`<host id>~<claim id>`): `getServer` returns null for a
 * free host or one claimed since, `findServers` lists only claimed hosts.
 */
export class SshProvider implements CloudProvider {
  readonly name = 'ssh' as const;
  /** No transport limit: the bootstrap config is uploaded, not passed as user-data. */
  readonly userDataLimit = 1024 * 1024;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: SshProviderOptions) {
    assertRemoteRoot(opts.remoteRoot ?? DEFAULT_REMOTE_ROOT);
  }

  get hosts(): SshHostStore {
    return this.opts.hosts;
  }

  /**
   * Register a host with this provider's key directory (what `POST /v1/ssh-hosts` calls): see
   * {@link registerHost}.
   *
   * @example
   * await ssh.register({ name: 'vps-1', address: '203.0.113.7', keyPath: 'vps-1' }); // reads <keyDir>/vps-1
   */
  register(input: RegisterHostInput): Promise<SshHost> {
    return registerHost(this.opts.hosts, input, this.opts.secretKey, { keyDir: this.opts.keyDir });
  }

  /** Probe a registered host (by host id, or a server id on it), record its facts and (TOFU) its fingerprint. */
  async probe(hostId: string): Promise<ProbeResult> {
    const host = await this.requireHost(parseSshServerId(hostId).hostId);
    return this.withLock(host.id, async () => {
      const conn = await this.connect(host);
      try {
        const p = await runProbe(conn, this.rootOf(host), this.opts.nodeBinary ?? 'node');
        await this.patch(host.id, { facts: p.facts });
        requireSupportedOs(conn, p);
        return { fingerprint: conn.fingerprint, os: p.facts.os, osVersion: p.facts.osVersion, prettyName: p.facts.prettyName, arch: p.facts.arch, facts: p.facts };
      } finally {
        conn.close();
      }
    });
  }

  async createServer(spec: ServerSpec): Promise<ServerInfo> {
    if (Buffer.byteLength(spec.userData) > this.userDataLimit) throw sshError('invalid_input', `user_data exceeds ${this.userDataLimit} bytes`, false, 422);
    const bootstrap = agentConfigOf('ssh', spec);
    const candidates = await this.candidates(spec);
    for (const c of candidates) {
      const info = await this.withLock(c.id, () => this.provisionOn(c.id, spec, bootstrap));
      if (info) return info;
    }
    // Every candidate was claimed by another instance (maybe on another replica) in the meantime.
    if (spec.location ?? spec.serverType) throw busy((await this.opts.hosts.get(candidates[0].id)) ?? candidates[0]);
    throw noFreeHost((await this.opts.hosts.list()).length);
  }

  /**
   * Claim the host in the database (compare-and-set, so one instance wins across replicas; a
   * fresh claim id, or the one this instance's claim already has), bootstrap it, and mark it
   * ready. Null when another instance holds the host.
   */
  private async provisionOn(id: string, spec: ServerSpec, bootstrap: BootstrapConfig): Promise<ServerInfo | null> {
    const host = await this.opts.hosts.claim(id, { labels: spec.labels, serverName: spec.name, claimId: newClaimId() });
    if (!host) return null;
    try {
      await this.bootstrap(host, spec, bootstrap);
    } catch (err) {
      // Release the claim: the engine retries createServer (a claimed host would be adopted as if ready).
      await this.opts.hosts.release(id, spec.labels, host.claimId ?? null).catch(() => {});
      throw err;
    }
    const ready = await this.patch(id, { state: 'ready', provisionedAt: new Date().toISOString() });
    return this.info(ready);
  }

  async findServers(query: FindQuery): Promise<ServerInfo[]> {
    return (await this.opts.hosts.list())
      .filter((h) => h.state !== 'free')
      .filter((h) => !query.name || h.serverName === query.name)
      .filter((h) => !query.labels || Object.entries(query.labels).every(([k, v]) => h.labels[k] === v))
      .map((h) => this.info(h));
  }

  /** The server `id` names, or null when its host is free or claimed by another claim since. */
  async getServer(id: string): Promise<ServerInfo | null> {
    const { hostId, claimId } = parseSshServerId(id);
    const host = await this.opts.hosts.get(hostId);
    return host && holdsClaim(host, claimId) ? this.info(host) : null;
  }

  /**
   * Stop the agent and its workload, remove what Hangar installed (unless the host's
   * `keepFiles`), and free the host. The host record stays. An unknown id, a free host and a
   * host held by another claim (a later instance) count as deleted and are left alone; an
   * unreachable host fails with a retryable ProviderError and the host keeps its labels.
   */
  async deleteServer(id: string): Promise<void> {
    const { hostId, claimId } = parseSshServerId(id);
    const found = await this.opts.hosts.get(hostId);
    if (!found || !holdsClaim(found, claimId)) return;
    await this.withLock(hostId, async () => {
      const host = await this.opts.hosts.get(hostId);
      if (!host || !holdsClaim(host, claimId)) return;
      const instance = host.labels[LABEL_INSTANCE] ?? host.serverName ?? host.name;
      // Checked again before connecting: teardown removes this directory as root.
      const root = checkedRoot(this.rootOf(host), host.name);
      const conn = await this.connect(host);
      try {
        const script = renderSshTeardown({ root, keepFiles: host.keepFiles || !!this.opts.keepFiles, stopTimeoutSeconds: this.opts.stopTimeoutSeconds ?? 10 });
        const res = await conn.exec(ELEVATED_SH, { stdin: script, what: 'tearing down', timeoutMs: 120_000, onLine: (l) => this.opts.onLog?.(instance, l) });
        if (res.code !== 0) throw sshError('teardown_failed', `teardown on ${target(host)} exited with ${res.code ?? res.signal}: ${outputTail(res)}`, true, 502);
      } finally {
        conn.close();
      }
      // Only this claim: never a claim made meanwhile (by another replica).
      await this.opts.hosts.release(hostId, host.labels, claimId);
    });
  }

  /** One server type per registered host (price 0: the user already pays for it). */
  async listServerTypes(): Promise<ServerType[]> {
    return (await this.opts.hosts.list()).map((h) => ({
      name: h.name,
      description: `${target(h)}${h.facts ? ` (${h.facts.prettyName})` : ''}`,
      cores: h.facts?.cores ?? 0,
      memoryGb: h.facts?.memoryGb ?? 0,
      diskGb: h.facts?.diskGb ?? 0,
      ...(h.facts ? { architecture: /^(aarch64|arm)/.test(h.facts.arch) ? 'arm' : /^(x86_64|amd64)$/.test(h.facts.arch) ? 'x86' : h.facts.arch } : {}),
      prices: [{ location: h.name, hourly: 0, monthly: 0, currency: 'EUR' }],
    }));
  }

  /** One location per registered host; `spec.location` names one (by name or id). */
  async listLocations(): Promise<Location[]> {
    return (await this.opts.hosts.list()).map((h) => ({ name: h.name, description: `${target(h)}, ${h.state === 'free' ? 'free' : `in use by ${h.serverName ?? 'an instance'}`}` }));
  }

  async listImages(): Promise<Image[]> {
    return [{ id: 'host', name: 'host', description: "The host's own operating system", kind: 'system', labels: {} }];
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  private async bootstrap(host: SshHost, spec: ServerSpec, config: BootstrapConfig): Promise<void> {
    const instance = spec.labels[LABEL_INSTANCE] ?? spec.name;
    const root = checkedRoot(this.rootOf(host), host.name);
    const bundlePath = typeof this.opts.agentBundle === 'string' ? this.opts.agentBundle : await this.opts.agentBundle();
    const bundle = await readFile(bundlePath);
    const installScript = this.opts.installScript && spec.bootstrap ? this.opts.installScript(spec.bootstrap) : null;
    const conn = await this.connect(host);
    try {
      await installAgent(conn, {
        root,
        node: this.opts.nodeBinary ?? 'node',
        start: this.opts.start ?? 'auto',
        bundle,
        installScript,
        config,
        stopTimeoutSeconds: this.opts.stopTimeoutSeconds ?? 10,
        timeoutMs: this.opts.bootstrapTimeoutMs ?? 15 * 60_000,
        log: (line) => this.opts.onLog?.(instance, line),
        recordFacts: (facts) => this.patch(host.id, { facts }),
      });
    } finally {
      conn.close();
    }
  }

  /** Connect, and under TOFU record the fingerprint seen on the first successful connection. */
  private async connect(host: SshHost): Promise<SshConnection> {
    const conn = await connect(host, this.opts.secretKey, this.opts.connectTimeoutMs ?? 20_000, this.opts.keyDir);
    if (!host.hostKey) {
      await this.patch(host.id, { hostKey: conn.fingerprint, hostKeyRecordedAt: new Date().toISOString() });
      host.hostKey = conn.fingerprint;
    }
    return conn;
  }

  private rootOf(host: SshHost): string {
    return host.remoteRoot ?? this.opts.remoteRoot ?? DEFAULT_REMOTE_ROOT;
  }

  /**
   * The hosts `createServer` tries to claim, in order: the one `spec.location` (or
   * `spec.serverType`) names; else the host this instance already holds, then every free host.
   */
  private async candidates(spec: ServerSpec): Promise<SshHost[]> {
    const hosts = await this.opts.hosts.list();
    const want = spec.location ?? spec.serverType;
    if (want) {
      const host = hosts.find((h) => h.id === want || h.name === want);
      if (!host) throw sshError('host_not_found', `no SSH host named "${want}" is registered${hosts.length ? ` (registered: ${hosts.map((h) => h.name).join(', ')})` : ''}`, false, 404);
      if (!claimable(host, spec.labels)) throw busy(host);
      return [host];
    }
    const mine = hosts.filter((h) => h.state !== 'free' && claimable(h, spec.labels));
    const found = [...mine, ...hosts.filter((h) => h.state === 'free')];
    if (!found.length) throw noFreeHost(hosts.length);
    return found;
  }

  private async requireHost(id: string): Promise<SshHost> {
    const host = await this.opts.hosts.get(id);
    if (!host) throw sshError('host_not_found', `SSH host ${id} is not registered`, false, 404);
    return host;
  }

  /** Merge fields into a host in the store (atomic: never overwrites a claim made meanwhile). */
  private async patch(id: string, set: Partial<SshHost>): Promise<SshHost> {
    const next = await this.opts.hosts.update(id, set);
    if (!next) throw sshError('host_not_found', `SSH host ${id} is not registered`, false, 404);
    return next;
  }

  /** Serialise operations on one host within this process. */
  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.catch(() => {});
    this.locks.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    }
  }

  private info(h: SshHost): ServerInfo {
    return {
      id: sshServerId(h),
      name: h.serverName ?? h.name,
      labels: { ...h.labels },
      status: h.state === 'ready' ? 'running' : h.state === 'provisioning' ? 'creating' : 'off',
      ipv4: isIPv4(h.address) ? h.address : null,
      ipv6: isIPv6(h.address) ? h.address : null,
      location: h.name,
      serverType: h.name,
      image: h.facts ? `${h.facts.os}-${h.facts.osVersion}` : 'host',
      createdAt: h.provisionedAt,
    };
  }
}

function noFreeHost(registered: number): ProviderError {
  return sshError('no_free_host', registered ? `all ${registered} registered SSH hosts are in use; register another or name one with location` : 'no SSH host is registered', false, 409);
}

function busy(host: SshHost): ProviderError {
  return sshError('host_busy', `SSH host ${host.name} is in use by ${host.serverName ?? 'another instance'} (instance ${host.labels[LABEL_INSTANCE] ?? '?'}); destroy it first or pick another host`, false, 409);
}
