/**
 * Where Hangar can put a server, by the name the API, the CLI, labels and events use:
 * `local` (child processes), `hetzner`, `digital-ocean` and `ssh` (a host the user brings).
 * The providers themselves live in src/providers/; bootstrap and the engine need only the name.
 *
 * @example
 * const provider: ProviderName = 'digital-ocean';
 */
export const PROVIDER_NAMES = ['local', 'hetzner', 'digital-ocean', 'ssh'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];
