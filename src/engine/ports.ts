import type { CloudProvider, ProviderName } from '../providers/types.ts';

/** The slice of a tailnet the engine needs: the network side owns that contract. */
export type { Tailnet } from '../network/types.ts';

/** The providers this installation has configured, by name. */
export type ProviderRegistry = Map<ProviderName, CloudProvider>;

/**
 * The engine's way to its agents (the hub implements it): the engine never imports the hub,
 * it receives this port once, through `Engine.setAgentChannel`.
 *
 * @example
 * const channel: AgentChannel = { shutdown: async (instanceId) => false }; // no agent reachable
 */
export interface AgentChannel {
  /** Ask a connected agent to stop its workload and exit; true when it acknowledged. */
  shutdown(instanceId: string): Promise<boolean>;
  /** Tell a connected warm-pool agent to fetch its workload and run it; true when it acknowledged. */
  configure?(instanceId: string): Promise<{ ok: boolean; error?: string }>;
}
