/**
 * Reading Hetzner Cloud's answers as its OpenAPI document defines them (shared/specs): where a
 * server type is orderable, and which address of a server's IPv6 network is the server's.
 */
import ipaddr from 'ipaddr.js';

export interface HcloudDeprecation {
  unavailable_after: string;
  announced: string;
}

/**
 * The locations where a server type can be ordered now, per the spec: listed in `locations`, not
 * past `deprecation.unavailable_after` there, and not `available: false` (temporarily sold out).
 * Without `locations` (older answers), the type-wide `deprecation` decides for every price.
 *
 * @example
 * orderableIn({ locations: [{ id: 1, name: 'fsn1', deprecation: null, available: true }], prices }, now) // → Set { 'fsn1' }
 */
export function orderableIn(t: { locations?: { name: string; deprecation: HcloudDeprecation | null; available?: boolean }[]; deprecation?: HcloudDeprecation | null; prices?: { location: string }[] }, now: number): Set<string> {
  const live = (d: HcloudDeprecation | null | undefined) => !d || Date.parse(d.unavailable_after) > now;
  if (!t.locations) return new Set(live(t.deprecation) ? (t.prices ?? []).map((p) => p.location) : []);
  return new Set(t.locations.filter((l) => l.available !== false && live(l.deprecation)).map((l) => l.name));
}

/**
 * The server's own IPv6 address: Hetzner assigns a /64 (`2001:db8:1:2::/64`) and configures its
 * first address (`::1`) on the server, which is what a user connects to (as hcloud and Terraform show).
 *
 * @example
 * serverIpv6('2001:db8:1:2::/64') // → '2001:db8:1:2::1'
 */
export function serverIpv6(network: string | null | undefined): string | null {
  if (!network) return null;
  if (!network.includes('/')) return network;
  try {
    const [addr] = ipaddr.parseCIDR(network);
    const parts = (addr as ipaddr.IPv6).parts.slice();
    parts[7] = (parts[7] & 0xfffe) | 1;
    return new ipaddr.IPv6(parts).toString();
  } catch {
    return null;
  }
}
