/**
 * The wire protocol between an agent and the hub: JSON text frames over one WebSocket at
 * `/v1/agents/connect`, authenticated with `Authorization: Bearer <agentId>:<agentKey>`.
 * Types, close codes and the wire limits both sides keep, nothing else, so the agent bundle
 * stays small and free of server parts; the hub validates frames with the zod schema in
 * messages.ts (its own limits are in limits.ts).
 */
import type { StreamControl } from '../domain/stream-channel.ts';
import type { AgentMessage } from './messages.ts';
export type { AgentMessage, StreamControl };

export type HubMessage =
  | { type: 'welcome'; instanceId: string; serverId: string | null; heartbeatSeconds: number; execEnabled?: boolean }
  | { type: 'command'; id: string; name: 'shutdown' | 'status' | 'restart' | 'logs' | 'smoke' | 'doctor' | 'exec' | 'update' | 'configure'; args?: Record<string, unknown> }
  | StreamControl;

/** Close codes: the agent must not reconnect after these. */
export const CLOSE_REVOKED = 4403;
export const CLOSE_UNAUTHORIZED = 4401;
/** Close code: the agent kept sending faster than the hub's rate limits (limits.ts); it may reconnect after a pause. */
export const CLOSE_RATE_LIMITED = 4429;
/** How long an agent closed with CLOSE_RATE_LIMITED waits before it dials again. */
export const RATE_LIMITED_PAUSE_MS = 10_000;

/** Largest WebSocket frame an agent may send (ws `maxPayload`); a bigger one closes the socket with 1009. */
export const HUB_MAX_FRAME_BYTES = 256 * 1024;

/** Frames of any type per agent: sustained per second, and the burst allowed at once. */
export const HUB_RATE_PER_SECOND = 20;
export const HUB_RATE_BURST = 100;

/** `log` frames per agent (stricter, on top of the above): sustained per second and burst. */
export const HUB_LOG_RATE_PER_SECOND = 5;
export const HUB_LOG_RATE_BURST = 50;

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

/**
 * Streams (shell PTYs, forwarded TCP, proxied HTTP) multiplexed on the agent socket; see
 * src/domain/stream-channel.ts for the frames.
 */
/** Streams open at once on one agent; one more is refused with 429. */
export const STREAM_MAX_PER_AGENT = 16;
/** Bytes of one stream a sender may have in flight, unacknowledged (the flow-control window). */
export const STREAM_WINDOW_BYTES = 256 * 1024;
/** Largest payload of one data frame (well under HUB_MAX_FRAME_BYTES). */
export const STREAM_CHUNK_BYTES = 32 * 1024;
/** Bytes one stream may carry in each direction; past it the stream is closed. */
export const STREAM_MAX_BYTES = 1024 * 1024 * 1024;
/** How long the agent may take to answer `stream-open`. */
export const STREAM_OPEN_TIMEOUT_MS = 10_000;
/** Terminal sizes accepted (columns, rows). */
export const STREAM_MAX_COLS = 1000;
export const STREAM_MAX_ROWS = 500;
/** Arguments of `hangar ssh ID -- cmd`: how many, and the characters of each. */
export const STREAM_MAX_ARGS = 64;
export const STREAM_MAX_ARG_CHARS = 4096;
/** The limits both ends of a stream keep. */
export const STREAM_LIMITS = { windowBytes: STREAM_WINDOW_BYTES, chunkBytes: STREAM_CHUNK_BYTES, maxBytes: STREAM_MAX_BYTES } as const;
