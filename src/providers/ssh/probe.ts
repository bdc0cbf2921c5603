/**
 * What the provider learns about a host before using it: a small read-only script over the SSH
 * connection reports the user, sudo, architecture, size, systemd, node and the agent bundle
 * already there, plus /etc/os-release; only Debian, Ubuntu and their derivatives are accepted.
 *
 * @example
 * const { fingerprint, os, arch } = await probeHost(host, secretKey, { keyDir }); // → { fingerprint: 'SHA256:…', os: 'ubuntu', arch: 'x86_64', … }
 */
import { connect, sshError, target, type SshConnection } from './connection.ts';
import { DEFAULT_REMOTE_ROOT } from '../../bootstrap/remote-root.ts';
import type { SshHost, SshHostFacts } from '../../domain/ssh-hosts.ts';
import { q } from '../../bootstrap/ssh-scripts.ts';

/**
 * KEY=value pairs of an os-release file (quotes removed).
 *
 * @example
 * parseOsRelease('ID=ubuntu\nVERSION_ID="24.04"') // → { ID: 'ubuntu', VERSION_ID: '24.04' }
 */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    out[m[1]] = v;
  }
  return out;
}

/**
 * Debian, Ubuntu and their derivatives (`ID_LIKE` naming either).
 *
 * @example
 * isSupportedOs({ ID: 'linuxmint', ID_LIKE: 'ubuntu debian' }) // → true
 */
export function isSupportedOs(osRelease: Record<string, string>): boolean {
  const ids = [osRelease.ID ?? '', ...(osRelease.ID_LIKE ?? '').split(/\s+/)].map((s) => s.toLowerCase());
  return ids.includes('debian') || ids.includes('ubuntu');
}

/** What {@link runProbe} reads from a host. */
export interface Probe {
  facts: SshHostFacts;
  osRelease: Record<string, string>;
  uid: number;
  sudo: boolean;
  /** Absolute path of the node binary, or null. */
  node: string | null;
  /** sha256 of the agent bundle already on the host (empty when none). */
  bundleSha: string;
}

function probeScript(root: string, node: string): string {
  return [
    'echo "uid=$(id -u)"',
    'if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo sudo=1; else echo sudo=0; fi',
    'echo "arch=$(uname -m)"',
    'echo "cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)"',
    "echo \"memkb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)\"",
    "echo \"diskkb=$(df -Pk / 2>/dev/null | awk 'NR==2 {print $2}')\"",
    'if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then echo systemd=1; else echo systemd=0; fi',
    `n=$(command -v ${q(node)} 2>/dev/null || true); echo "node=$n"`,
    'if [ -n "$n" ]; then echo "nodeVersion=$("$n" --version 2>/dev/null)"; fi',
    `echo "bundleSha=$(sha256sum ${q(`${root}/agent/agent.mjs`)} 2>/dev/null | cut -d' ' -f1)"`,
    'echo ---os-release---',
    'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null || true',
  ].join('\n');
}

/** Run the probe script on an open connection. */
export async function runProbe(conn: SshConnection, root: string, node: string): Promise<Probe> {
  const res = await conn.exec(`sh -c ${q(probeScript(root, node))}`, { what: 'probing the host', timeoutMs: 30_000 });
  if (res.code !== 0) throw sshError('probe_failed', `probing ${target(conn.host)} failed (exit ${res.code}): ${res.stderr.trim().slice(-500)}`, true, 502);
  const [head, osText = ''] = res.stdout.split('---os-release---\n');
  const kv: Record<string, string> = {};
  for (const line of head.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  const osRelease = parseOsRelease(osText);
  const gb = (kb: string | undefined) => Math.round((Number(kb) || 0) / 2 ** 20);
  return {
    facts: {
      os: osRelease.ID ?? 'unknown',
      osVersion: osRelease.VERSION_ID ?? '',
      prettyName: osRelease.PRETTY_NAME ?? osRelease.NAME ?? 'unknown',
      arch: kv.arch ?? 'unknown',
      cores: Number(kv.cores) || 0,
      memoryGb: gb(kv.memkb),
      diskGb: gb(kv.diskkb),
      systemd: kv.systemd === '1',
      nodeVersion: kv.nodeVersion || null,
    },
    osRelease,
    uid: Number(kv.uid),
    sudo: kv.sudo === '1',
    node: kv.node || null,
    bundleSha: kv.bundleSha ?? '',
  };
}

/** Throw `unsupported_os` unless the probed host runs Debian, Ubuntu or a derivative. */
export function requireSupportedOs(conn: SshConnection, p: Probe): void {
  if (!isSupportedOs(p.osRelease)) {
    const found = p.osRelease.PRETTY_NAME ?? p.osRelease.ID ?? 'no /etc/os-release';
    throw sshError('unsupported_os', `${target(conn.host)} runs ${found}; Hangar supports Debian and Ubuntu (and derivatives whose ID_LIKE names them)`, false, 422);
  }
}

/** What {@link probeHost} reports. */
export interface ProbeResult {
  /** The host key's fingerprint, `SHA256:…`. */
  fingerprint: string;
  /** `ID` from /etc/os-release. */
  os: string;
  osVersion: string;
  prettyName: string;
  arch: string;
  facts: SshHostFacts;
}

/**
 * Connect to a host (enforcing its pinned or recorded host key; under TOFU accepting any) and
 * report its host-key fingerprint, OS and architecture. Rejects a non-Debian/Ubuntu OS with
 * `unsupported_os`. Records nothing: {@link SshProvider.probe} stores the result.
 *
 * @example
 * const { fingerprint, os, arch } = await probeHost(host, secretKey); // → { fingerprint: 'SHA256:…', os: 'ubuntu', arch: 'x86_64', … }
 */
export async function probeHost(host: SshHost, secretKey: Buffer, opts: { timeoutMs?: number; nodeBinary?: string; remoteRoot?: string; keyDir?: string } = {}): Promise<ProbeResult> {
  const conn = await connect(host, secretKey, opts.timeoutMs ?? 20_000, opts.keyDir);
  try {
    const p = await runProbe(conn, host.remoteRoot ?? opts.remoteRoot ?? DEFAULT_REMOTE_ROOT, opts.nodeBinary ?? 'node');
    requireSupportedOs(conn, p);
    return { fingerprint: conn.fingerprint, os: p.facts.os, osVersion: p.facts.osVersion, prettyName: p.facts.prettyName, arch: p.facts.arch, facts: p.facts };
  } finally {
    conn.close();
  }
}
