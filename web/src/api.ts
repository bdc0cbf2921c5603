import type { Problem } from './types.ts';

const KEY_STORAGE = 'hangar.apiKey';

/** The API key lives in sessionStorage only: gone when the tab closes, never in the URL. */
export const session = {
  get(): string | null {
    try {
      return sessionStorage.getItem(KEY_STORAGE);
    } catch {
      return null;
    }
  },
  set(key: string): void {
    sessionStorage.setItem(KEY_STORAGE, key);
  },
  clear(): void {
    sessionStorage.removeItem(KEY_STORAGE);
  },
};

/** An HTTP error from the API, carrying its RFC 9457 problem details when it sent them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get fieldErrors() {
    return this.problem?.errors ?? [];
  }
}

type UnauthorizedListener = (err: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called whenever the API answers 401 to the stored key (the app signs out). */
export function onUnauthorized(fn: UnauthorizedListener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export function notifyUnauthorized(err: ApiError): void {
  for (const fn of unauthorizedListeners) fn(err);
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Use this key instead of the session's (sign-in check). */
  key?: string;
  /** Don't broadcast a 401 (sign-in check). */
  quiet401?: boolean;
  headers?: Record<string, string>;
}

/** Call the Hangar API with the session's bearer key; throws ApiError on any non-2xx. */
export async function api<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const key = opts.key ?? session.get();
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (key) headers.authorization = `Bearer ${key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal, cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, null, 'Cannot reach the Hangar server. Is it running?');
  }
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const problem = json && typeof json === 'object' && 'status' in json ? (json as Problem) : null;
    const err = new ApiError(res.status, problem, problem?.detail ?? `${res.status} ${res.statusText}`);
    if (res.status === 401 && !opts.quiet401) notifyUnauthorized(err);
    throw err;
  }
  return json as T;
}

export const isAbort = (err: unknown): boolean => (err as Error)?.name === 'AbortError';

/**
 * The id of the newest event in the installation, so a live stream can start from now instead
 * of replaying the whole history. The API lists events oldest first (`after`, `limit`), so this
 * gallops then bisects with `limit=1` probes: about 2·log2(n) small requests, 1 when empty.
 */
export async function latestEventId(signal?: AbortSignal): Promise<number> {
  const next = async (after: number): Promise<number | null> =>
    (await api<{ items: { id: number }[] }>('GET', `/v1/events?after=${after}&limit=1`, { signal })).items[0]?.id ?? null;
  let lo = await next(0); // an id that exists
  if (lo === null) return 0;
  let hi: number | null = null; // nothing exists after hi
  for (let step = 1; hi === null; step *= 2) {
    const r = await next(lo + step);
    if (r === null) hi = lo + step;
    else lo = r;
  }
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await next(mid);
    if (r === null) hi = mid;
    else lo = r;
  }
  return lo;
}
