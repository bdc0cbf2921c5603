/**
 * Which host addresses the `ssh` provider may connect to. A host is a server the operator
 * brings, so public, private, loopback and tailnet addresses are fine; link-local addresses
 * (169.254.0.0/16, fe80::/10, where the clouds' metadata services live), the metadata services'
 * other addresses and names, multicast, broadcast and unspecified addresses are not: connecting
 * there from the control plane reaches the control plane's own cloud, never a user's server.
 *
 * Checked at registration (a 400 naming `address`) and again on every connection, after DNS
 * (a name may resolve anywhere; numeric forms such as `2852039166` resolve to 169.254.169.254),
 * and the connection then goes to the checked addresses, never to a second lookup.
 *
 * @example
 * addressProblem('203.0.113.7') // → null
 * addressProblem('169.254.169.254') // → 'must not be a link-local, cloud metadata, …'
 */
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const FORBIDDEN = new BlockList();
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", 0.0.0.0 unspecified
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local: 169.254.169.254 (AWS, GCP, Azure, DO, Hetzner), 169.254.170.2 (ECS)
FORBIDDEN.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
FORBIDDEN.addAddress('255.255.255.255', 'ipv4'); // broadcast
FORBIDDEN.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata (inside 100.64.0.0/10, which tailnets use)
FORBIDDEN.addAddress('::', 'ipv6'); // unspecified
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6'); // link-local
FORBIDDEN.addSubnet('ff00::', 8, 'ipv6'); // multicast
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6

/** Names of cloud metadata services (lower case, no trailing dot). */
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal', 'metadata.tencentyun.com', 'metadata.platformequinix.com']);

const FORBIDDEN_MESSAGE = 'must not be a link-local, cloud metadata, multicast, broadcast or unspecified address';
const SYNTAX_MESSAGE = 'must be an IPv4/IPv6 address or a DNS name';

/**
 * Whether an IP address (v4, v6, or v4-mapped v6) is one the provider never connects to.
 *
 * @example
 * isForbiddenIp('::ffff:169.254.169.254') // → true
 * isForbiddenIp('10.0.0.5') // → false
 */
export function isForbiddenIp(ip: string): boolean {
  ip = ip.replace(/%.*$/, ''); // a zone id does not change what the address is
  const family = isIP(ip);
  if (family === 0) return false;
  return FORBIDDEN.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why `address` cannot be a host's address, or null. A DNS name must look like one: labels of
 * letters, digits and dashes, and a last label that is not a number (`2852039166`, `0xa9fea9fe`
 * and `169.254.43518` are IPv4 addresses to a resolver).
 *
 * @example
 * addressProblem('metadata.google.internal') // → 'must not be a link-local, cloud metadata, …'
 * addressProblem('vps-1.example.com') // → null
 */
export function addressProblem(address: unknown): string | null {
  if (typeof address !== 'string' || !address || address.length > 253 || address.includes('%')) return SYNTAX_MESSAGE;
  if (isIP(address)) return isForbiddenIp(address) ? FORBIDDEN_MESSAGE : null;
  const name = address.toLowerCase().replace(/\.$/, '');
  const labels = name.split('.');
  if (!labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) return SYNTAX_MESSAGE;
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1])) return SYNTAX_MESSAGE;
  if (METADATA_NAMES.has(name)) return FORBIDDEN_MESSAGE;
  return null;
}

/** Why {@link resolveHostAddress} refused: the name did not resolve, or it resolved to a forbidden address. */
export class AddressRefused extends Error {
  constructor(readonly reason: 'unresolved' | 'forbidden') {
    super(reason === 'forbidden' ? FORBIDDEN_MESSAGE : 'did not resolve');
  }
}

/**
 * The IP addresses to connect to for `address`: the address itself, or what the system resolver
 * answers for a name, in its order. Throws {@link AddressRefused} when the name does not resolve
 * or any answer is forbidden.
 *
 * @example
 * await resolveHostAddresses('localhost') // → [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]
 */
export async function resolveHostAddresses(address: string): Promise<LookupAddress[]> {
  let found: LookupAddress[];
  const family = isIP(address);
  if (family) found = [{ address, family }];
  else {
    try {
      found = await lookup(address, { all: true, verbatim: true });
    } catch {
      throw new AddressRefused('unresolved');
    }
  }
  if (!found.length) throw new AddressRefused('unresolved');
  if (found.some((a) => isForbiddenIp(a.address)) || METADATA_NAMES.has(address.toLowerCase().replace(/\.$/, ''))) throw new AddressRefused('forbidden');
  return found;
}
