/**
 * Installing and starting the agent on a connected host: probe it (supported OS, a Node.js 20+
 * unless an install script brings one), upload the agent bundle (skipped when the host already
 * has this one) and, when given, the install script, then run the bootstrap script
 * (scripts.ts) that writes bootstrap.json and starts the agent (systemd or nohup). Its output is
 * streamed line by line to `log`.
 *
 * @example
 * await installAgent(conn, { root, node: 'node', start: 'auto', bundle, installScript: null, config, stopTimeoutSeconds: 10, timeoutMs: 900_000, log, recordFacts });
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { BootstrapConfig } from '../../domain/agent-contract.ts';
import type { SshHostFacts } from '../../domain/ssh-hosts.ts';
import { outputTail, sshError, target, type SshConnection } from './connection.ts';
import { requireSupportedOs, runProbe, type Probe } from './probe.ts';
import { ELEVATED_SH, q, renderSshBootstrap } from '../../bootstrap/ssh-scripts.ts';

export interface InstallAgentOptions {
  /** The checked remote root (`/opt/hangar` or `/opt/hangar-<name>`). */
  root: string;
  /** The node the agent runs on (name on PATH or absolute path). */
  node: string;
  /** How the agent is started: `auto` = systemd when it is PID 1 and we are root or have sudo, else nohup. */
  start: 'auto' | 'systemd' | 'nohup';
  /** The agent bundle's bytes. */
  bundle: Buffer;
  /** An install script to upload and run first (Docker, Node.js, Tailscale, hardening), or null. */
  installScript: string | null;
  /** The agent's bootstrap.json. */
  config: BootstrapConfig;
  stopTimeoutSeconds: number;
  /** Bootstrap script timeout, ms. */
  timeoutMs: number;
  log: (line: string) => void;
  /** Keep what the probe learned on the host record. */
  recordFacts: (facts: SshHostFacts) => Promise<unknown>;
}

/**
 * Install and start the agent on `conn`'s host (see the module comment). Throws ProviderErrors:
 * `unsupported_os`, `node_missing`, `upload_failed`, `bootstrap_failed`.
 *
 * @example
 * await installAgent(conn, opts); // the agent now runs and dials home
 */
export async function installAgent(conn: SshConnection, o: InstallAgentOptions): Promise<void> {
  const host = conn.host;
  const sha = createHash('sha256').update(o.bundle).digest('hex');
  const p = await runProbe(conn, o.root, o.node);
  await o.recordFacts(p.facts);
  requireSupportedOs(conn, p);
  o.log(`connected to ${target(host)} (${p.facts.prettyName}, ${p.facts.arch}), host key ${conn.fingerprint}`);
  if (!o.installScript) requireNode(conn, p, o.node);
  const prefix = p.uid !== 0 && p.sudo ? 'sudo -n ' : '';
  if (p.bundleSha === sha) {
    o.log('agent bundle already up to date');
  } else {
    o.log(`uploading the agent bundle (${Math.ceil(o.bundle.length / 1024)} KiB)`);
    await upload(conn, prefix, `${o.root}/agent/agent.mjs`, o.bundle, '0644');
  }
  if (o.installScript) {
    o.log('uploading the install script');
    await upload(conn, prefix, `${o.root}/bootstrap/install.sh`, o.installScript, '0700');
  }
  const script = renderSshBootstrap({
    root: o.root,
    node: o.node,
    start: startMode(o.start, p),
    instanceId: o.config.instanceId,
    serverName: o.config.serverName,
    bundleSha: sha,
    installScript: !!o.installScript,
    stopTimeoutSeconds: o.stopTimeoutSeconds,
    bootstrapJson: JSON.stringify(o.config),
  });
  // The script (with the one-time token) goes over stdin, never into a command line.
  const res = await conn.exec(ELEVATED_SH, { stdin: script, what: 'running the bootstrap', timeoutMs: o.timeoutMs, onLine: (l) => (l.startsWith('HANGAR_AGENT_PID=') ? undefined : o.log(l)) });
  if (res.code !== 0) throw sshError('bootstrap_failed', `bootstrap on ${target(host)} exited with ${res.code ?? res.signal}: ${outputTail(res)}`, false, 502);
}

/** The host must have Node.js 20 or newer when no install script brings one. */
function requireNode(conn: SshConnection, p: Probe, node: string): void {
  const host = conn.host;
  if (!p.node) throw sshError('node_missing', `${target(host)} has no ${node} on PATH: install Node.js 20 or newer there (or give the provider an installScript)`, false, 422);
  const major = Number(/^v(\d+)/.exec(p.facts.nodeVersion ?? '')?.[1] ?? 0);
  if (major < 20) throw sshError('node_missing', `${target(host)} has Node.js ${p.facts.nodeVersion ?? '(unknown version)'} at ${p.node}; the agent needs 20 or newer`, false, 422);
}

function startMode(want: 'auto' | 'systemd' | 'nohup', p: Probe): 'systemd' | 'nohup' {
  if (want !== 'auto') return want;
  return p.facts.systemd && (p.uid === 0 || p.sudo) ? 'systemd' : 'nohup';
}

/** Write a file atomically (tmp + rename) through `cat`, with `mode`. */
async function upload(conn: SshConnection, prefix: string, path: string, data: Buffer | string, mode: string): Promise<void> {
  const tmp = `${path}.upload`;
  const cmd = `umask 077; mkdir -p ${q(posix.dirname(path))} && cat >${q(tmp)} && chmod ${mode} ${q(tmp)} && mv -f ${q(tmp)} ${q(path)}`;
  const res = await conn.exec(`${prefix}sh -c ${q(cmd)}`, { what: `uploading ${path}`, stdin: data, timeoutMs: 300_000 });
  if (res.code !== 0) throw sshError('upload_failed', `cannot write ${path} on ${target(conn.host)}: ${outputTail(res)}`, false, 502);
}
