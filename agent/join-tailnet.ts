import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Enrollment } from '../src/domain/agent-contract.ts';
import { parseTailscaleStatus, runArgv, which } from './ops.ts';
import { CLOSE_PUBLIC_SSH_ARGV, CLOSE_PUBLIC_SSH_PATH, tailscaleUpArgv } from './tailnet.ts';

/** The part of the agent's state.json the tailnet join reads and updates (written back whole). */
export interface TailnetState {
  tailscale?: Enrollment['tailscale'];
  /** Set once `tailscale up` succeeded, so a restarted agent does not join again. */
  tailnetJoined?: boolean;
}

/**
 * Join the tailnet with the enrollment's single-use auth key (once), then close public SSH if
 * the install script left the script for it. Returns the device's tailnet name when known.
 * Without a `tailscale` binary (tests, the local provider) it logs and carries on.
 */
export async function joinTailnet(stateDir: string, state: TailnetState, log: (l: string) => void): Promise<string | null> {
  if (!state.tailscale) return null;
  if (!which('tailscale')) {
    log('tailscale not installed; skipping');
    return null;
  }
  if (!state.tailnetJoined) {
    log(`joining the tailnet as ${state.tailscale.hostname} (${state.tailscale.tags.join(' ') || 'no tags'})`);
    const r = await runArgv(tailscaleUpArgv(state.tailscale), 120_000, 8192);
    if (r.exitCode !== 0) {
      // Never log argv: it holds the auth key.
      log(`tailscale up failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      return null;
    }
    log('tailscale up: joined the tailnet');
    // The key is single-use: forget it, remember that we joined.
    state.tailnetJoined = true;
    state.tailscale = { ...state.tailscale, authKey: '' };
    const statePath = join(stateDir, 'state.json');
    await writeFile(statePath, JSON.stringify(state), { mode: 0o600 }).catch(() => {});
    if (existsSync(CLOSE_PUBLIC_SSH_PATH)) {
      const c = await runArgv(CLOSE_PUBLIC_SSH_ARGV, 60_000, 8192);
      log(c.exitCode === 0 ? 'public SSH closed (SSH via the tailnet only)' : `closing public SSH failed (exit ${c.exitCode}): ${(c.stderr || c.stdout).trim().split('\n').slice(-2).join(' | ')}`);
    }
  }
  const st = await runArgv(['tailscale', 'status', '--json'], 10_000, 256 * 1024);
  const parsed = st.exitCode === 0 ? parseTailscaleStatus(st.stdout) : null;
  if (parsed?.dnsName) log(`tailnet name ${parsed.dnsName}`);
  return parsed?.dnsName ?? null;
}
