/**
 * Every limit of the agent hub, in one place (the README's "Agent hub limits" table lists them).
 * Pure constants plus one env reader: the agent bundle imports the frame size from here too.
 */
import { ValidationError } from '../domain/errors.ts';

/** Largest WebSocket frame an agent may send (ws `maxPayload`); a bigger one closes the socket with 1009. */
export const HUB_MAX_FRAME_BYTES = 256 * 1024;

/** Concurrent agent sockets per process (`HANGAR_HUB_MAX_CONNECTIONS`); beyond it an upgrade gets 503. */
export const HUB_MAX_CONNECTIONS = 20_000;

/** Upgrades being authenticated (a database look-up each) at once; beyond it an upgrade gets 503. */
export const HUB_MAX_PENDING_UPGRADES = 256;

/** Seconds a 503 upgrade answer asks the agent to wait (`Retry-After`). */
export const HUB_RETRY_AFTER_SECONDS = 5;

/** Frames of any type per agent: sustained per second, and the burst allowed at once. */
export const HUB_RATE_PER_SECOND = 20;
export const HUB_RATE_BURST = 100;

/** `log` frames per agent (stricter, on top of the above): sustained per second and burst. */
export const HUB_LOG_RATE_PER_SECOND = 5;
export const HUB_LOG_RATE_BURST = 50;

/**
 * Frames dropped (over the rate, invalid or queued too deep) that an agent is forgiven: a bucket
 * of this burst refilling at this rate. Once it is empty the agent is closed with 4429.
 */
export const HUB_DROP_RATE_PER_SECOND = 10;
export const HUB_DROP_BURST = 200;

/** Seconds an agent's budgets outlive its socket, so dialing again does not refill them. */
export const HUB_GATE_KEEP_SECONDS = 60;

/** Frames per agent accepted but not handled yet (database slow); beyond it frames are dropped. */
export const HUB_MAX_QUEUED_FRAMES = 100;

/** Text fields of agent frames. Free text is cut to its cap; identifiers over theirs are refused. */
export const MAX_VERSION_CHARS = 64;
export const MAX_NAME_CHARS = 255;
export const MAX_DETAIL_CHARS = 2_000;
export const MAX_ID_CHARS = 128;

/** Lines in one `log` frame (more: the frame is refused), and the characters kept of each line. */
export const LOG_MAX_LINES = 500;
export const LOG_MAX_LINE_CHARS = 2_000;
/** Characters one `log` frame may write into the event log (the lines past it are counted, not kept). */
export const LOG_MAX_FRAME_CHARS = 32 * 1024;

export interface HubLimits {
  maxConnections: number;
  maxPendingUpgrades: number;
}

/**
 * The hub limits an operator may change, from the environment.
 *
 * @example
 * hubLimitsFromEnv({ HANGAR_HUB_MAX_CONNECTIONS: '5000' }) // { maxConnections: 5000, maxPendingUpgrades: 256 }
 */
export function hubLimitsFromEnv(env: NodeJS.ProcessEnv): HubLimits {
  return {
    maxConnections: positiveInt(env.HANGAR_HUB_MAX_CONNECTIONS, HUB_MAX_CONNECTIONS, 'HANGAR_HUB_MAX_CONNECTIONS'),
    maxPendingUpgrades: HUB_MAX_PENDING_UPGRADES,
  };
}

function positiveInt(v: string | undefined, def: number, name: string): number {
  if (v === undefined || v.trim() === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ValidationError(`${name} must be a positive integer, got "${v}"`, [{ field: name, message: 'must be a positive integer' }]);
  return n;
}
