const KEY_STORAGE = 'hangar.apiKey';
const PROJECT_STORAGE = 'hangar.project';

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
    sessionStorage.removeItem(PROJECT_STORAGE);
  },
  /** The project the dashboard acts in (sent as X-Hangar-Project), or null for the key's own / default. */
  project(): string | null {
    try {
      return sessionStorage.getItem(PROJECT_STORAGE);
    } catch {
      return null;
    }
  },
  setProject(name: string): void {
    sessionStorage.setItem(PROJECT_STORAGE, name);
  },
};
