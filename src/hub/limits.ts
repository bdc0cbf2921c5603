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
  STREAM_CHUNK_BYTES,
  STREAM_LIMITS,
  STREAM_MAX_ARG_CHARS,
  STREAM_MAX_ARGS,
  STREAM_MAX_BYTES,
  STREAM_MAX_COLS,
  STREAM_MAX_PER_AGENT,
  STREAM_MAX_ROWS,
  STREAM_OPEN_TIMEOUT_MS,
  STREAM_WINDOW_BYTES,
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

/**
 * Stream frames (binary data and `stream-*` control) per agent, on a budget of their own: data
 * is paced by each stream's window, this caps the frames themselves. Over it a frame is dropped
 * (and counts towards closing a flooding agent).
 */
export const HUB_STREAM_FRAME_RATE_PER_SECOND = 2000;
export const HUB_STREAM_FRAME_BURST = 4000;

/** Bytes queued towards a client's WebSocket (ssh, port-forward, proxy) before its stream is paused. */
export const STREAM_CLIENT_BUFFER_BYTES = 1024 * 1024;
/** Largest message a client may send on a stream WebSocket (keystrokes, forwarded bytes). */
export const STREAM_CLIENT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest request body the workload proxy forwards. */
export const PROXY_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Time a proxied HTTP request may take, end to end. */
export const PROXY_TIMEOUT_MS = 60_000;
/** Lifetime of a ticket minted for the browser (terminal WebSocket, proxy sign-in link). */
export const TICKET_SECONDS = 60;
/** Lifetime of the proxy cookie a ticket is exchanged for. */
export const PROXY_COOKIE_SECONDS = 30 * 60;

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
