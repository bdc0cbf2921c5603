/**
 * The Ansible dynamic inventory of a project's instances (`GET /v1/inventory`, `hangar inventory`):
 * the JSON an inventory script prints for `--list` — one group per project, provider, location,
 * workload, status and label, plus `_meta.hostvars` so Ansible never calls `--host` per host.
 *
 * Hosts are named by their server name (`hangar-<slug>-<8 hex>`: unique and DNS-safe, unlike the
 * display name). `ansible_host` is the tailnet name when the instance is on a tailnet, else its
 * public IPv4 (or IPv6). Host vars carry addresses, server type, agent version and ids — never a
 * secret: nothing from the sealed settings, no key, no token.
 */
import { LABEL_INSTANCE } from '../domain/names.ts';

/** What the inventory reads of an instance (a subset of the API's Instance). */
export interface InventoryInstance {
  id: string;
  name: string;
  serverName: string | null;
  provider: string;
  location: string | null;
  serverType: string | null;
  workload: string;
  status: string;
  connection: string;
  serverId: string | null;
  ipv4: string | null;
  ipv6: string | null;
  tailscale: boolean;
  tailnetName: string | null;
  agentVersion: string | null;
  labels: Record<string, string>;
  /** The instance's project (instances made before projects existed are in `default`). */
  project?: string | null;
}

/** How Ansible reaches a host of the `ssh` provider (its registration; never its key). */
export interface SshReach {
  port: number;
  user: string;
}

export interface AnsibleGroup {
  hosts: string[];
  children?: string[];
}

export interface AnsibleInventory {
  [group: string]: AnsibleGroup | { hostvars: Record<string, Record<string, unknown>> };
  _meta: { hostvars: Record<string, Record<string, unknown>> };
}

/**
 * A valid Ansible group name: letters, digits and `_` (anything else becomes `_`), lower case.
 *
 * @example
 * groupName('label', 'team', 'ml-ops') // → 'label_team_ml_ops'
 */
export function groupName(...parts: string[]): string {
  return parts
    .join('_')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+$/, '');
}

/** Where Ansible connects: the tailnet name first, then the public addresses. */
export function ansibleHost(i: Pick<InventoryInstance, 'tailscale' | 'tailnetName' | 'ipv4' | 'ipv6'>): string | null {
  return (i.tailscale && i.tailnetName) || i.ipv4 || i.ipv6 || null;
}

/**
 * The inventory of `instances` in `project`: stopped instances (no server any more) and those
 * of other projects are left out.
 *
 * @example
 * const inv = ansibleInventory(instances, 'default', new Map([['byo-1', { port: 22, user: 'root' }]]));
 * inv.provider_hetzner.hosts // → ['hangar-web-5aa2f4bc']
 * inv._meta.hostvars['hangar-web-5aa2f4bc'].ansible_host // → '203.0.113.7'
 */
export function ansibleInventory(instances: InventoryInstance[], project: string, sshHosts: ReadonlyMap<string, SshReach> = new Map()): AnsibleInventory {
  const groups = new Map<string, Set<string>>();
  const hostvars: Record<string, Record<string, unknown>> = {};
  const add = (group: string, host: string) => {
    if (!groups.has(group)) groups.set(group, new Set());
    groups.get(group)!.add(host);
  };
  for (const i of instances) {
    if ((i.project ?? 'default') !== project || i.status === 'stopped') continue;
    const host = i.serverName ?? i.id;
    add(groupName('project', project), host);
    add(groupName('provider', i.provider), host);
    if (i.location) add(groupName('location', i.location), host);
    add(groupName('workload', i.workload), host);
    add(groupName('status', i.status), host);
    for (const [k, v] of Object.entries(i.labels ?? {})) if (k !== LABEL_INSTANCE) add(groupName('label', k, v), host);
    const vars: Record<string, unknown> = {};
    const address = ansibleHost(i);
    if (address) vars.ansible_host = address;
    const reach = i.provider === 'ssh' && i.location ? sshHosts.get(i.location) : undefined;
    if (reach) Object.assign(vars, { ansible_port: reach.port, ansible_user: reach.user });
    hostvars[host] = {
      ...vars,
      hangar_id: i.id,
      hangar_name: i.name,
      hangar_project: project,
      hangar_provider: i.provider,
      hangar_location: i.location,
      hangar_server_type: i.serverType,
      hangar_server_id: i.serverId,
      hangar_workload: i.workload,
      hangar_status: i.status,
      hangar_connection: i.connection,
      hangar_agent_version: i.agentVersion,
      hangar_addresses: { ipv4: i.ipv4, ipv6: i.ipv6, tailnet: i.tailnetName },
      hangar_labels: i.labels ?? {},
    };
  }
  const inventory: AnsibleInventory = { _meta: { hostvars } };
  const names = [...groups.keys()].sort();
  for (const g of names) inventory[g] = { hosts: [...groups.get(g)!].sort() };
  inventory.all = { hosts: [], children: ['ungrouped', ...names] };
  return inventory;
}
