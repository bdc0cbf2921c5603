import { describe, expect, it } from 'vitest';
import { colors } from '../output.ts';
import { providersTable } from './providers.ts';

describe('hangar providers', () => {
  it('lists the configured providers, then the others with how to enable each, then the tailnet', () => {
    const text = providersTable(
      {
        items: [{ name: 'local', configured: true, userDataLimit: 65536, credentials: 'none needed' }],
        unconfigured: [{ name: 'hetzner', configured: false, enable: 'set HETZNER_API_TOKEN or HCLOUD_TOKEN' }],
        tailnet: 'environment',
      },
      colors(false),
    );
    expect(text.split('\n')).toEqual([
      'PROVIDER  CONFIGURED  USER-DATA LIMIT  CREDENTIALS / HOW TO ENABLE',
      'local     yes         64 KiB           none needed',
      'hetzner   no                           set HETZNER_API_TOKEN or HCLOUD_TOKEN',
      '',
      'tailnet: configured (environment)',
    ]);
  });
});
