import { describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import { HetznerProvider } from '../providers/hetzner.ts';
import { credentialInput, Credentials, overlayCredentials, type CredentialStore } from './credentials.ts';

/** A CredentialStore in memory (the server's is src/db/stores/credentials.ts). */
class MemoryStore implements CredentialStore {
  readonly rows = new Map<string, Record<string, unknown>>();
  async put(service: string, value: Record<string, unknown>) {
    this.rows.set(service, value);
  }
  async remove(service: string) {
    return this.rows.delete(service);
  }
  async services() {
    return [...this.rows.keys()];
  }
  async all() {
    return [...this.rows].map(([service, value]) => ({ service, value }));
  }
}

function fields(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return (err.errors ?? []).map((e) => e.field);
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('credentialInput', () => {
  it('keeps a trimmed token and the fields the service has', () => {
    expect(credentialInput('hetzner', { token: ' hz-0123456789 ' })).toEqual({ token: 'hz-0123456789' });
    expect(credentialInput('tailscale', { token: 'tskey-api-1', tailnet: 'example.com', endpoint: 'https://ts.example' })).toEqual({ token: 'tskey-api-1', tailnet: 'example.com', endpoint: 'https://ts.example' });
  });

  it('names every bad field', () => {
    expect(fields(() => credentialInput('hetzner', { token: 'short', tailnet: 'x', extra: 1 }))).toEqual(['token', 'tailnet', 'extra']);
    expect(fields(() => credentialInput('hetzner', { token: 'hz-0123456789', endpoint: 'http://10.0.0.5' }))).toEqual(['endpoint']);
    expect(fields(() => credentialInput('constructor', { token: 'hz-0123456789' }))).toEqual(['provider']);
  });

  it('lets an allow-listed plain http origin through', () => {
    expect(credentialInput('hetzner', { token: 'hz-0123456789', endpoint: 'http://127.0.0.1:4010/v1' }, ['http://127.0.0.1:*']).endpoint).toBe('http://127.0.0.1:4010/v1');
  });
});

describe('overlayCredentials', () => {
  it('lays stored credentials over the env, replacing either env spelling', () => {
    const base = { HCLOUD_TOKEN: 'env', DIGITALOCEAN_TOKEN: 'env', TAILSCALE_OAUTH_CLIENT_ID: 'id', TAILSCALE_OAUTH_CLIENT_SECRET: 's', OTHER: 'x' };
    const out = overlayCredentials(base, [
      { service: 'hetzner', value: { token: 'hz', endpoint: 'https://hz.example' } },
      { service: 'digital-ocean', value: { token: 'do' } },
      { service: 'tailscale', value: { token: 'ts', tailnet: 'example.com' } },
      { service: 'toString', value: { token: 'no' } },
    ]);
    expect(out).toEqual({ OTHER: 'x', HETZNER_API_TOKEN: 'hz', HCLOUD_ENDPOINT: 'https://hz.example', DIGITALOCEAN_API_TOKEN: 'do', TAILSCALE_API_KEY: 'ts', TAILSCALE_TAILNET: 'example.com' });
    expect(base.HCLOUD_TOKEN).toBe('env');
  });
});

describe('Credentials', () => {
  it('validates before storing, and resolves providers from env and store together', async () => {
    const store = new MemoryStore();
    const creds = new Credentials(store);
    await expect(creds.put('hetzner', { token: 'short' })).rejects.toBeInstanceOf(ValidationError);
    expect(store.rows.size).toBe(0);
    await creds.put('hetzner', { token: 'hz-0123456789' });
    expect(await creds.stored()).toEqual(['hetzner']);
    const { providers, tailnet } = await creds.resolve({});
    expect(providers.map((p) => p.name)).toEqual(['hetzner']);
    expect(providers[0]).toBeInstanceOf(HetznerProvider);
    expect(tailnet).toBeUndefined();
    expect(await creds.remove('hetzner')).toBe(true);
    await expect(creds.remove('nope')).rejects.toBeInstanceOf(ValidationError);
    expect((await creds.resolve({})).providers).toEqual([]);
  });
});
