/**
 * The wire protocol between an agent and the hub: JSON text frames over one WebSocket at
 * `/v1/agents/connect`, authenticated with `Authorization: Bearer <agentId>:<agentKey>`.
 * Types only (plus close codes) so the agent bundle stays small; the hub validates frames with
 * the zod schema in messages.ts.
 */
import type { AgentMessage } from './messages.ts';
export type { AgentMessage };

export type HubMessage =
  | { type: 'welcome'; instanceId: string; serverId: string | null; heartbeatSeconds: number; execEnabled?: boolean }
  | { type: 'command'; id: string; name: 'shutdown' | 'status' | 'restart' | 'logs' | 'smoke' | 'doctor' | 'exec' | 'update'; args?: Record<string, unknown> };

/** Close codes: the agent must not reconnect after these. */
export const CLOSE_REVOKED = 4403;
export const CLOSE_UNAUTHORIZED = 4401;
/** Close code: the agent kept sending faster than the hub's rate limits (limits.ts); it may reconnect after a pause. */
export const CLOSE_RATE_LIMITED = 4429;
/** How long an agent closed with CLOSE_RATE_LIMITED waits before it dials again. */
export const RATE_LIMITED_PAUSE_MS = 10_000;
