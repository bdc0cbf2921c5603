import { z } from 'zod';
import { STREAM_MAX_ARG_CHARS, STREAM_MAX_ARGS, STREAM_MAX_COLS, STREAM_MAX_ROWS } from '../../hub/limits.ts';

const size = (max: number, def: number) => z.coerce.number().int().min(1).max(max).default(def);

/** `GET /v1/instances/{id}/ssh` (a WebSocket): terminal size, the command (none: a login shell), a browser's ticket. */
export const SshQuery = z
  .object({
    cols: size(STREAM_MAX_COLS, 80),
    rows: size(STREAM_MAX_ROWS, 24),
    cmd: z.union([z.string().min(1).max(STREAM_MAX_ARG_CHARS), z.array(z.string().max(STREAM_MAX_ARG_CHARS)).min(1).max(STREAM_MAX_ARGS)]).optional().describe('argv of one command (repeat for each argument); none: an interactive login shell'),
    ticket: z.string().max(1024).optional().describe('a terminal ticket (POST /v1/instances/{id}/tickets), for a browser that cannot send a bearer header'),
  })
  .strict();

/** `GET /v1/instances/{id}/port-forward` (a WebSocket): the loopback port on the server. */
export const PortForwardQuery = z.object({ port: z.coerce.number().int().min(1).max(65_535).describe('a TCP port on the server’s 127.0.0.1') }).strict();

/** `POST /v1/instances/{id}/tickets`: what the browser wants to open. */
export const TicketBody = z.object({ purpose: z.enum(['terminal', 'proxy']) }).strict();

/** A client → Hangar control message on the ssh WebSocket (text frames; binary frames are keystrokes). */
export const SshClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('resize'), cols: z.number().int().min(1).max(STREAM_MAX_COLS), rows: z.number().int().min(1).max(STREAM_MAX_ROWS) }),
  z.object({ type: z.literal('eof') }),
]);
