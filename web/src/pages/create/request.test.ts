import { describe, expect, it } from 'vitest';
import { buildRequest, mapFieldErrors, summaryTitle, type CreateFields } from './request.ts';

const base: CreateFields = { provider: 'local', location: '', serverType: '', image: '', name: '', workload: 'process', settings: {}, tailscale: false, tags: '', connectTimeout: '', onFailure: 'destroy' };

describe('buildRequest', () => {
  it('sends only what was filled in, trimmed, tags only with Tailscale and no image on local', () => {
    const { body, local } = buildRequest({ ...base, name: '  demo ', location: 'local', serverType: 'process', image: 'ubuntu-24.04', tags: 'tag:a, tag:b', connectTimeout: '120' });
    expect(local).toEqual({});
    expect(body).toEqual({ provider: 'local', workload: 'process', config: {}, tailscale: false, onFailure: 'destroy', name: 'demo', location: 'local', serverType: 'process', connectTimeoutSeconds: 120 });
    expect(buildRequest({ ...base, provider: 'hetzner', image: ' img ', tailscale: true, tags: 'tag:a, tag:b' }).body).toMatchObject({ image: 'img', tailscaleTags: ['tag:a', 'tag:b'] });
  });

  it('catches a non-numeric timeout and a missing provider before any request, and leaves numbers to the API', () => {
    expect(buildRequest({ ...base, provider: '', connectTimeout: 'soon' }).local).toEqual({ connectTimeoutSeconds: 'a whole number of seconds', provider: 'choose a provider' });
    expect(buildRequest({ ...base, connectTimeout: '5' })).toMatchObject({ local: {}, body: { connectTimeoutSeconds: 5 } });
  });
});

describe('mapFieldErrors', () => {
  it('puts errors next to their fields and the rest in the summary', () => {
    const { mapped, other } = mapFieldErrors(
      [
        { field: 'name', message: 'letters, digits' },
        { field: 'name', message: 'too long' },
        { field: 'tailscaleTags.1', message: 'bad tag' },
        { field: 'config.port', message: 'out of range' },
        { field: 'labels', message: 'nope' },
      ],
      { workload: 'process', settings: {}, tailscale: true },
    );
    expect(mapped).toEqual({ name: 'letters, digits; too long', tailscaleTags: 'bad tag', 'config.port': 'out of range' });
    expect(other).toEqual([{ field: 'labels', message: 'nope' }]);
  });

  it('sends tag errors to the summary when the tags field is hidden, and names a free-form secret', () => {
    expect(mapFieldErrors([{ field: 'tailscaleTags.0', message: 'bad' }], { workload: 'process', settings: {}, tailscale: false }).other).toHaveLength(1);
    const { mapped } = mapFieldErrors([{ field: 'config.anthropicApiKey', message: 'too short' }], { workload: 'openclaw', settings: {}, tailscale: false });
    expect(mapped).toEqual({ 'config.secrets': 'anthropicApiKey: too short' });
  });
});

describe('summaryTitle', () => {
  it('names the fields to correct by label, else says what failed', () => {
    expect(summaryTitle({ name: 'x' }, 'process', 0)).toBe('Please correct this field: Name.');
    expect(summaryTitle({ connectTimeoutSeconds: 'x', 'config.port': 'y' }, 'process', 0)).toBe('Please correct these 2 fields: Connect timeout, Port.');
    expect(summaryTitle({}, 'process', 1)).toBe('The API rejected the request:');
    expect(summaryTitle({}, 'process', 0)).toBe('The request failed');
  });
});
