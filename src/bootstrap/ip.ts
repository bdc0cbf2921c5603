/**
 * Whether a string is an IP address, and which version: the answer node:net's `isIP` gives, in
 * plain code, because bootstrap/ does no I/O and imports no node:net (the compose validator needs
 * it for `subnet_ip_address`). Dotted-quad IPv4 without leading zeros; IPv6 in any of its
 * compressed forms, with an embedded IPv4 tail and a zone (`%eth0`).
 *
 * @example
 * ipVersion('10.0.0.0') // → 4
 * ipVersion('fd00::1') // → 6
 * ipVersion('01.2.3.4') // → 0
 */
const V4_SEG = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const V4 = `(?:${V4_SEG}\\.){3}${V4_SEG}`;
const V6_SEG = '(?:[0-9a-fA-F]{1,4})';
const IPV4_RE = new RegExp(`^${V4}$`);
const IPV6_RE = new RegExp(
  '^(?:' +
    `(?:${V6_SEG}:){7}(?:${V6_SEG}|:)|` +
    `(?:${V6_SEG}:){6}(?:${V4}|:${V6_SEG}|:)|` +
    `(?:${V6_SEG}:){5}(?::${V4}|(?::${V6_SEG}){1,2}|:)|` +
    `(?:${V6_SEG}:){4}(?:(?::${V6_SEG}){0,1}:${V4}|(?::${V6_SEG}){1,3}|:)|` +
    `(?:${V6_SEG}:){3}(?:(?::${V6_SEG}){0,2}:${V4}|(?::${V6_SEG}){1,4}|:)|` +
    `(?:${V6_SEG}:){2}(?:(?::${V6_SEG}){0,3}:${V4}|(?::${V6_SEG}){1,5}|:)|` +
    `(?:${V6_SEG}:){1}(?:(?::${V6_SEG}){0,4}:${V4}|(?::${V6_SEG}){1,6}|:)|` +
    `(?::(?:(?::${V6_SEG}){0,5}:${V4}|(?::${V6_SEG}){1,7}|:))` +
    ')(?:%[0-9a-zA-Z-.:]{1,})?$',
);

/**
 * 4 for an IPv4 address, 6 for an IPv6 address, 0 for anything else (as node:net's `isIP`).
 *
 * @example
 * ipVersion('::ffff:192.0.2.1') // → 6
 */
export function ipVersion(value: string): 0 | 4 | 6 {
  if (IPV4_RE.test(value)) return 4;
  if (IPV6_RE.test(value)) return 6;
  return 0;
}
