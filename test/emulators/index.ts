/**
 * Stateful emulators of the cloud APIs Hangar talks to, for tests and local runs.
 *
 * @example
 * import { startHetznerEmulator, startTailscaleEmulator } from '../emulators/index.ts';
 * const hz = await startHetznerEmulator({ boot: async (s) => ({ stop: async () => {} }) });
 */
export * from './common.ts';
export * from './boot.ts';
export * from './label-selector.ts';
export * from './hetzner.ts';
export * from './digitalocean.ts';
export * from './tailscale.ts';
