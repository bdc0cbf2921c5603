const KEY_STORAGE = 'hangar.apiKey';

/**
 * The API key lives in sessionStorage only: gone when the tab closes, never in the URL.
 *
 * @example
 * session.set('hgr_…'); session.get(); // 'hgr_…'
 */
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
