import { describe, expect, it } from 'vitest';
import { ansibleHost, ansibleInventory, groupName, type InventoryInstance } from './inventory.ts';

const inst = (over: Partial<InventoryInstance>): InventoryInstance => ({
  id: '5aa2f4bc-0000-4000-8000-000000000001',
  name: 'web one',
  serverName: 'hangar-web-one-5aa2f4bc',
  provider: 'hetzner',
  location: 'fsn1',
  serverType: 'cx22',
  workload: 'openclaw',
  status: 'running',
  connection: 'connected',
  serverId: '4711',
  ipv4: '203.0.113.7',
  ipv6: '2001:db8::1',
  tailscale: false,
  tailnetName: null,
  agentVersion: '0.3.0',
  labels: { 'hangar.dev/installation': 'abc123', 'hangar.dev/instance': '5aa2f4bc-0000-4000-8000-000000000001' },
  ...over,
});

describe('ansibleInventory', () => {
  it('groups by project, provider, location, workload, status and label, with hostvars for every host', () => {
    const inv = ansibleInventory([inst({}), inst({ id: 'b', serverName: 'hangar-b-0000000b', provider: 'ssh', location: 'byo-1', status: 'failed', workload: 'process' })], 'default', new Map([['byo-1', { port: 2222, user: 'deploy' }]]));
    expect(inv.project_default).toEqual({ hosts: ['hangar-b-0000000b', 'hangar-web-one-5aa2f4bc'] });
    expect(inv.provider_hetzner).toEqual({ hosts: ['hangar-web-one-5aa2f4bc'] });
    expect(inv.location_byo_1).toEqual({ hosts: ['hangar-b-0000000b'] });
    expect(inv.workload_openclaw).toEqual({ hosts: ['hangar-web-one-5aa2f4bc'] });
    expect(inv.status_failed).toEqual({ hosts: ['hangar-b-0000000b'] });
    expect(inv.label_hangar_dev_installation_abc123).toEqual({ hosts: ['hangar-b-0000000b', 'hangar-web-one-5aa2f4bc'] });
    // A label unique to one instance would be one group per host: left out.
    expect(Object.keys(inv).some((g) => g.startsWith('label_hangar_dev_instance'))).toBe(false);
    expect(inv._meta.hostvars['hangar-web-one-5aa2f4bc']).toMatchObject({ ansible_host: '203.0.113.7', hangar_server_type: 'cx22', hangar_agent_version: '0.3.0', hangar_server_id: '4711', hangar_addresses: { ipv4: '203.0.113.7', ipv6: '2001:db8::1', tailnet: null } });
    expect(inv._meta.hostvars['hangar-b-0000000b']).toMatchObject({ ansible_host: '203.0.113.7', ansible_port: 2222, ansible_user: 'deploy' });
    expect((inv.all as { children: string[] }).children).toContain('provider_ssh');
  });

  it('leaves out stopped instances and other projects', () => {
    const inv = ansibleInventory([inst({ status: 'stopped' }), inst({ id: 'x', serverName: 'x', project: 'other' })], 'default');
    expect(inv._meta.hostvars).toEqual({});
    expect(ansibleInventory([inst({ project: 'other' })], 'other').project_other).toEqual({ hosts: ['hangar-web-one-5aa2f4bc'] });
  });

  it('connects over the tailnet name when there is one', () => {
    expect(ansibleHost(inst({ tailscale: true, tailnetName: 'hangar-web-one.tail1234.ts.net' }))).toBe('hangar-web-one.tail1234.ts.net');
    expect(ansibleHost(inst({ ipv4: null }))).toBe('2001:db8::1');
    expect(ansibleHost(inst({ ipv4: null, ipv6: null }))).toBeNull();
  });

  it('makes group names Ansible accepts', () => {
    expect(groupName('label', 'Team.Name', 'ML-ops!')).toBe('label_team_name_ml_ops');
    expect(groupName('location', 'nyc3')).toBe('location_nyc3');
  });
});
