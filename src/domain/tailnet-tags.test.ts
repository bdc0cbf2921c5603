import { describe, expect, it } from 'vitest';
import { tailscaleTagError } from './tailnet-tags.ts';

describe('tailscaleTagError', () => {
  it('accepts what Tailscale accepts', () => {
    for (const t of ['tag:hangar', 'tag:Prod-EU-1', 'tag:a']) expect(tailscaleTagError(t)).toBeNull();
  });
  it('refuses what Tailscale refuses, in its words', () => {
    expect(tailscaleTagError('tag:1abc')).toBe("tag names must start with a letter, after 'tag:'");
    expect(tailscaleTagError('tag:-x')).toBe("tag names must start with a letter, after 'tag:'");
    expect(tailscaleTagError('tag:')).toBe('tag names must not be empty');
    expect(tailscaleTagError('hangar')).toBe("tags must start with 'tag:'");
    expect(tailscaleTagError('tag:a_b')).toBe('tag names can only contain numbers, letters, or dashes');
    expect(tailscaleTagError('tag:a.b')).toBe('tag names can only contain numbers, letters, or dashes');
    expect(tailscaleTagError('tag:é')).toBe("tag names must start with a letter, after 'tag:'");
  });
});
