import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createInstance, listInstances } from './api.ts';
import type { CreateInstanceBody } from './types.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('api requests', () => {
  it('sends the session key as a bearer token and turns problem+json into ApiError with field errors', async () => {
    vi.stubGlobal('sessionStorage', { getItem: () => 'hgr_abc', setItem() {}, removeItem() {} });
    let auth = '';
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      auth = new Request(input, init).headers.get('authorization') ?? '';
      return new Response(JSON.stringify({ type: 'x', title: 'Bad Request', status: 400, detail: 'invalid body', errors: [{ field: 'name', message: 'bad' }] }), { status: 400 });
    });
    const err = await createInstance({} as CreateInstanceBody).catch((e: unknown) => e);
    expect(auth).toBe('Bearer hgr_abc');
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).fieldErrors).toEqual([{ field: 'name', message: 'bad' }]);
  });

  it('reports an unreachable server plainly', async () => {
    vi.stubGlobal('sessionStorage', { getItem: () => null, setItem() {}, removeItem() {} });
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed');
    });
    await expect(listInstances()).rejects.toMatchObject({ status: 0, message: expect.stringMatching(/Cannot reach/) });
  });
});
