import { useEffect, useRef, useState } from 'react';

/** The current time, re-rendering every `ms` (for ages and running timers). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Set document.title while mounted. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Hangar` : 'Hangar';
  }, [title]);
}

export type Loadable<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; error: unknown };

/**
 * Load `fn()` whenever `key` changes (nothing while `fn` is null). Until the answer for the
 * current key arrives it reports `loading`, never the previous key's value.
 */
export function useLoad<T>(fn: (() => Promise<T>) | null, key: string): Loadable<T> {
  const [v, setV] = useState<{ key: string; value: Loadable<T> } | null>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    const load = fnRef.current;
    if (!load) return;
    let live = true;
    load().then(
      (value) => live && setV({ key, value: { state: 'ok', value } }),
      (error: unknown) => live && setV({ key, value: { state: 'error', error } }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return v && v.key === key ? v.value : { state: 'loading' };
}
