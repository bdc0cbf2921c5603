/**
 * What the agent runs to join the tailnet with the single-use auth key it received at
 * enrollment, then to close public SSH (the install script leaves {@link CLOSE_PUBLIC_SSH_PATH}
 * only on servers that should close it).
 *
 * @example
 * await runArgv(tailscaleUpArgv(enrollment.tailscale), 120_000, 8192);
 * if (existsSync(CLOSE_PUBLIC_SSH_PATH)) await runArgv(CLOSE_PUBLIC_SSH_ARGV, 60_000, 8192);
 */
import { CLOSE_PUBLIC_SSH_PATH } from '../src/domain/agent-contract.ts';

export { CLOSE_PUBLIC_SSH_PATH };

export interface TailscaleJoin {
  authKey: string;
  hostname: string;
  tags: string[];
  /** Enable Tailscale SSH (seed 004's "SSH via Tailscale only"). */
  ssh?: boolean;
}

/**
 * argv of `tailscale up` (the key is an argv element, never a shell word).
 *
 * @example
 * tailscaleUpArgv({ authKey: 'tskey-auth-x', hostname: 'hangar-a-1', tags: ['tag:hangar'] })
 * // → ['tailscale', 'up', '--auth-key=tskey-auth-x', '--hostname=hangar-a-1', '--advertise-tags=tag:hangar']
 */
export function tailscaleUpArgv(join: TailscaleJoin): string[] {
  return [
    'tailscale',
    'up',
    `--auth-key=${join.authKey}`,
    `--hostname=${join.hostname}`,
    ...(join.tags.length ? [`--advertise-tags=${join.tags.join(',')}`] : []),
    ...(join.ssh ? ['--ssh'] : []),
  ];
}

/** argv that closes public SSH once `tailscale up` succeeded (run it only when the file exists). */
export const CLOSE_PUBLIC_SSH_ARGV = ['/bin/bash', CLOSE_PUBLIC_SSH_PATH];
