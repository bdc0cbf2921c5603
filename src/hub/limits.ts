/**
 * Every limit of the agent hub, in one place (the README's "Agent hub limits" table lists them).
 * The wire limits both sides keep (frame size, rates, text caps) live in protocol.ts, which the
 * agent bundle imports, and are re-exported here; this file adds the server's own limits and
 * the one env reader.
 */
import { ValidationError } from '../domain/errors.ts';

export {
  HUB_LOG_RATE_BURST,
  HUB_LOG_RATE_PER_SECOND,
  HUB_MAX_FRAME_BYTES,
  HUB_RATE_BURST,
  HUB_RATE_PER_SECOND,
  LOG_MAX_FRAME_CHARS,
  LOG_MAX_LINE_CHARS,
  LOG_MAX_LINES,
  MAX_DETAIL_CHARS,
  MAX_ID_CHARS,
  MAX_NAME_CHARS,
  MAX_VERSION_CHARS,
} from './protocol.ts';

/** Concurrent agent sockets per process (`HANGAR_HUB_MAX_CONNECTIONS`); beyond it an upgrade gets 503. */
export const HUB_MAX_CONNECTIONS = 20_000;

/** Upgrades being authenticated (a database look-up each) at once; beyond it an upgrade gets 503. */
export const HUB_MAX_PENDING_UPGRADES = 256;

/** Seconds a 503 upgrade answer asks the agent to wait (`Retry-After`). */
export const HUB_RETRY_AFTER_SECONDS = 5;

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
