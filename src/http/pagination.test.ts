import { describe, expect, it } from 'vitest';
import { RestClient } from './client.ts';
import { FakeApi, json } from './fake-api.testing.ts';
import { digitalOceanPages, hetznerPages } from './pagination.ts';

function make(api: FakeApi) {
  return new RestClient({ provider: 'hetzner', baseUrl: 'http://api.test/v1/', token: 'tok', fetch: api.fetch, rateLimit: null, random: () => 0 });
}

describe('pagination', () => {
  const items = Array.from({ length: 120 }, (_, i) => ({ id: i + 1 }));

  it('follows Hetzner meta.pagination.next_page with per_page ≤ 50', async () => {
    const api = new FakeApi().on('GET', '/v1/servers', (req) => {
      const page = Number(req.url.searchParams.get('page'));
      const per = Number(req.url.searchParams.get('per_page'));
      const last = Math.ceil(items.length / per);
      return json(200, {
        servers: items.slice((page - 1) * per, page * per),
        meta: { pagination: { page, per_page: per, previous_page: page > 1 ? page - 1 : null, next_page: page < last ? page + 1 : null, last_page: last, total_entries: items.length } },
      });
    });
    const got = await hetznerPages<{ id: number }>(make(api), '/servers', 'servers', { label_selector: 'a=b' }, { perPage: 500 });
    expect(got.map((s) => s.id)).toEqual(items.map((s) => s.id));
    expect(api.requests.map((r) => [r.url.searchParams.get('page'), r.url.searchParams.get('per_page'), r.url.searchParams.get('label_selector')])).toEqual([
      ['1', '50', 'a=b'],
      ['2', '50', 'a=b'],
      ['3', '50', 'a=b'],
    ]);
  });

  it('stops when next_page does not move forward', async () => {
    const api = new FakeApi().on('GET', '/v1/x', () => json(200, { xs: [1], meta: { pagination: { page: 3, next_page: 1 } } }));
    expect(await hetznerPages(make(api), '/x', 'xs')).toEqual([1]);
  });

  it('follows DigitalOcean links.pages.next (page number only, our base URL) with per_page ≤ 200', async () => {
    const many = Array.from({ length: 450 }, (_, i) => ({ id: i }));
    const api = new FakeApi().on('GET', '/v2/droplets', (req) => {
      const page = Number(req.url.searchParams.get('page'));
      const per = Number(req.url.searchParams.get('per_page'));
      const more = page * per < many.length;
      return json(200, {
        droplets: many.slice((page - 1) * per, page * per),
        links: { pages: more ? { next: `https://api.digitalocean.com/v2/droplets?page=${page + 1}&per_page=${per}` } : {} },
        meta: { total: many.length },
      });
    });
    const c = new RestClient({ provider: 'digital-ocean', baseUrl: 'http://do.test', token: 't', fetch: api.fetch, rateLimit: null });
    const got = await digitalOceanPages<{ id: number }>(c, '/v2/droplets', 'droplets', { tag_name: 'x' }, { perPage: 1000 });
    expect(got).toHaveLength(450);
    expect(api.requests.map((r) => `${r.url.host}${r.url.search}`)).toEqual([
      'do.test?tag_name=x&page=1&per_page=200',
      'do.test?tag_name=x&page=2&per_page=200',
      'do.test?tag_name=x&page=3&per_page=200',
    ]);
  });
});
