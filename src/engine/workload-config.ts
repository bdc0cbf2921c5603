import type { WorkloadKind } from '../bootstrap/types.ts';
import { splitWorkloadConfig } from '../bootstrap/workload.ts';

/**
 * Split a workload's settings into what may be stored and shown (config) and what is sealed at
 * rest and delivered only over the enrollment channel (secrets), by the workload's settings
 * schema (src/bootstrap/<workload>.ts), not by names: secret fields, unknown string settings,
 * runner-stack's `environment` map, compose's `compose` file, and any setting holding a URL with
 * credentials (config keeps that one without them).
 *
 * @example
 * splitConfig('agent-manager', { gitUsername: 'bot', gitToken: 'ghp_x' })
 * // → { config: { gitUsername: 'bot' }, secrets: { gitToken: 'ghp_x' } }
 */
export function splitConfig(kind: WorkloadKind, input: Record<string, unknown>): { config: Record<string, unknown>; secrets: Record<string, string> } {
  return splitWorkloadConfig(kind, input);
}
