import type { Tailnet } from './ports.ts';

/**
 * What may change while Hangar runs, each behind one explicit setter: the URL agents dial (known
 * only after the server listens, when HANGAR_PUBLIC_URL is not set) and the tailnet (replaced
 * when tailnet credentials are stored or removed through the API). The engine and the snapshot
 * builder read them at the moment they need them; everything else they use is fixed at start.
 *
 * @example
 * const settings = new RuntimeSettings({ publicUrl: '', tailnet: null });
 * settings.setPublicUrl('http://127.0.0.1:8080'); // after listen
 * settings.publicUrl // → 'http://127.0.0.1:8080'
 */
export class RuntimeSettings {
  #publicUrl: string;
  #tailnet: Tailnet | null;

  constructor(init: { publicUrl?: string; tailnet?: Tailnet | null } = {}) {
    this.#publicUrl = init.publicUrl ?? '';
    this.#tailnet = init.tailnet ?? null;
  }

  /** The URL agents dial (enrollment and hub); '' until the server listens. */
  get publicUrl(): string {
    return this.#publicUrl;
  }

  /** Set the URL agents dial: an http(s) URL (server.ts, once the server listens). */
  setPublicUrl(url: string): void {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      /* refused below */
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new TypeError(`public URL must be an http(s) URL, got ${JSON.stringify(url.slice(0, 200))}`);
    this.#publicUrl = url;
  }

  /** The tailnet agents join, or null when none is configured. */
  get tailnet(): Tailnet | null {
    return this.#tailnet;
  }

  /** Replace the tailnet (credentials stored, changed or removed; null: none). */
  setTailnet(tailnet: Tailnet | null): void {
    this.#tailnet = tailnet;
  }
}
