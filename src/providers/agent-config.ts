/**
 * The bootstrap config a provider without cloud-init (`local`, `ssh`) hands the agent: taken from
 * the structured `ServerSpec.bootstrap`, never parsed back out of the rendered user-data.
 *
 * @example
 * const config = agentConfigOf('local', spec); // → { apiUrl, token, instanceId, serverName }
 * await writeFile(join(dir, 'bootstrap.json'), JSON.stringify(config), { mode: 0o600 });
 */
import type { BootstrapConfig } from '../domain/agent-contract.ts';
import { ProviderError } from '../domain/errors.ts';
import type { ProviderName } from '../domain/providers.ts';
import type { ServerSpec } from './types.ts';

/**
 * The agent's bootstrap.json for `spec`: exactly its four fields, each a non-empty string. A spec
 * without them is a 422 `invalid_input` (such a provider cannot start an agent from user-data).
 *
 * @example
 * agentConfigOf('ssh', { name, labels, userData }) // throws ProviderError invalid_input (no bootstrap)
 */
export function agentConfigOf(provider: ProviderName, spec: ServerSpec): BootstrapConfig {
  const b = spec.bootstrap?.bootstrap;
  if (!b) throw new ProviderError(provider, 'invalid_input', `the ${provider} provider starts the agent itself: the server spec needs its bootstrap, not only user-data`, 422, false);
  for (const k of ['apiUrl', 'token', 'instanceId', 'serverName'] as const) {
    if (typeof b[k] !== 'string' || !b[k]) throw new ProviderError(provider, 'invalid_input', `the bootstrap config lacks ${k}`, 422, false);
  }
  return { apiUrl: b.apiUrl, token: b.token, instanceId: b.instanceId, serverName: b.serverName };
}
