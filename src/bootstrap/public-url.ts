/**
 * What servers dial: the public URL (HANGAR_PUBLIC_URL) they download the agent from and send
 * their one-time bootstrap token to. It must be https, except where plain http never leaves a
 * trusted network: loopback (127.0.0.0/8, ::1, `localhost`; also 0.0.0.0 and ::, which reach only
 * this machine) and the tailnet (100.64.0.0/10, fd7a:115c:a1e0::/48, `*.ts.net`, which
 * WireGuard encrypts). Pure: no I/O, no node:net (the URL parser has normalised the host already).
 * Also the pin of the agent bundle's sha256.
 *
 * @example
 * publicUrlProblem('https://hangar.example.com') // → null
 * publicUrlProblem('http://127.0.0.1:7070') // → null
 * publicUrlProblem('http://hangar.example.com') // → 'HANGAR_PUBLIC_URL must be https: …'
 */
const PLAIN_HTTP = 'HANGAR_PUBLIC_URL must be https: servers download the agent (run as root) and send their bootstrap token over it; plain http is allowed only for loopback (127.0.0.0/8, ::1, localhost) and tailnet (100.64.0.0/10, fd7a:115c:a1e0::/48, *.ts.net) addresses';

/** The field a public URL problem names (the setting is HANGAR_PUBLIC_URL). */
export const PUBLIC_URL_FIELD = 'publicUrl';

/** The four octets of a dotted-quad IPv4 address (as `URL.hostname` normalises every IPv4 form), or null. */
function ipv4Octets(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  const octets = m ? m.slice(1).map(Number) : null;
  return octets && octets.every((o) => o <= 255) ? octets : null;
}

/** The eight 16-bit groups of an IPv6 address (hex groups, one `::` at most), or null. */
function ipv6Groups(host: string): number[] | null {
  if (!/^[0-9a-f:]+$/.test(host) || host.split('::').length > 2) return null;
  const [head, tail] = host.includes('::') ? host.split('::') : [host, null];
  const part = (p: string) => (p ? p.split(':') : []);
  const left = part(head);
  const right = tail === null ? [] : part(tail);
  const missing = 8 - left.length - right.length;
  if ((tail === null && missing !== 0) || (tail !== null && missing < 1)) return null;
  const groups = [...left, ...Array<string>(tail === null ? 0 : missing).fill('0'), ...right];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups.map((g) => parseInt(g, 16)) : null;
}

/** Loopback, "this host" or Tailscale's CGNAT range. */
function v4Allowed([a, b, c, d]: number[]): boolean {
  return a === 127 || (a === 0 && b === 0 && c === 0 && d === 0) || (a === 100 && (b & 0xc0) === 64);
}

/**
 * Whether plain http to `hostname` (as `URL.hostname` gives it: IPv6 in brackets) stays on this
 * machine or the tailnet.
 *
 * @example
 * plainHttpAllowed('[::1]') // → true
 * plainHttpAllowed('hangar.tail1234.ts.net') // → true
 * plainHttpAllowed('10.0.0.5') // → false
 */
function plainHttpAllowed(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const v4 = ipv4Octets(host);
  if (v4) return v4Allowed(v4);
  if (host.startsWith('[') && host.endsWith(']')) {
    const g = ipv6Groups(host.slice(1, -1));
    if (!g) return false;
    const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
    if (zeros(7) && g[7] <= 1) return true; // :: and ::1
    if (g[0] === 0xfd7a && g[1] === 0x115c && g[2] === 0xa1e0) return true; // fd7a:115c:a1e0::/48
    if (zeros(5) && g[5] === 0xffff) return v4Allowed([g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff]); // IPv4-mapped
    return false;
  }
  return host === 'localhost' || (host.endsWith('.ts.net') && host.length > '.ts.net'.length);
}

/**
 * Why servers may not be sent to `url`, or null: it must be https, or plain http to a loopback
 * or tailnet address. The answer never repeats the URL.
 *
 * @example
 * publicUrlProblem('http://100.101.102.103:7070') // → null (tailnet)
 */
export function publicUrlProblem(url: unknown): string | null {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return 'HANGAR_PUBLIC_URL must be an absolute https URL';
  }
  if (u.protocol === 'https:') return null;
  if (u.protocol === 'http:' && plainHttpAllowed(u.hostname)) return null;
  return PLAIN_HTTP;
}

/**
 * Whether `value` is a sha256 as sha256sum prints it: 64 lowercase hex digits.
 *
 * @example
 * isSha256Hex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855') // → true
 */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** What a missing or malformed pin says. */
export const SHA256_MESSAGE = "must be the agent bundle's sha256: 64 lowercase hex digits";
