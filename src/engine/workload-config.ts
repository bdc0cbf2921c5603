import type { WorkloadKind } from '../bootstrap/types.ts';

/** Setting names that are always treated as secrets, for every workload. */
const SECRET_NAME = /(key|token|password|secret)$/i;

/**
 * Split a workload's settings into what may be stored and shown (config) and what is sealed at
 * rest and delivered only over the enrollment channel (secrets).
 *
 * @example
 * splitConfig('agent-manager', { gitUsername: 'bot', gitToken: 'ghp_x' })
 * // → { config: { gitUsername: 'bot' }, secrets: { gitToken: 'ghp_x' } }
 */
export function splitConfig(_kind: WorkloadKind, input: Record<string, unknown>): { config: Record<string, unknown>; secrets: Record<string, string> } {
  const config: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    if (SECRET_NAME.test(k) && typeof v === 'string') secrets[k] = v;
    else config[k] = v;
  }
  return { config, secrets };
}
