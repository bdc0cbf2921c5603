/**
 * Tailscale's own rule for an ACL tag (tailcfg.CheckTag): `tag:` then a name that starts with a
 * letter and holds only ASCII letters, digits and dashes. Returns the reason a tag is refused, in
 * Tailscale's words, or null when it is well-formed. Whether the tailnet's policy lets a key carry
 * it (tagOwners) only the tailnet can say.
 *
 * @example
 * tailscaleTagError('tag:hangar') // → null
 * tailscaleTagError('tag:1abc')   // → "tag names must start with a letter, after 'tag:'"
 */
export function tailscaleTagError(tag: string): string | null {
  if (!tag.startsWith('tag:')) return "tags must start with 'tag:'";
  const name = tag.slice(4);
  if (name === '') return 'tag names must not be empty';
  if (!/^[A-Za-z]/.test(name)) return "tag names must start with a letter, after 'tag:'";
  if (!/^[A-Za-z0-9-]+$/.test(name)) return 'tag names can only contain numbers, letters, or dashes';
  return null;
}
