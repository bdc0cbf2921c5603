import { z } from 'zod';
import { LOG_MAX_FRAME_CHARS, LOG_MAX_LINE_CHARS, LOG_MAX_LINES, MAX_DETAIL_CHARS, MAX_ID_CHARS, MAX_NAME_CHARS, MAX_VERSION_CHARS } from './protocol.ts';

/** Cut a text to `max` characters, saying how much was cut. */
function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… [${s.length - max} more characters]`;
}
/** Free text: kept, but cut to its cap (a long detail should not cost the whole frame). */
const text = (max: number) => z.string().transform((s) => cut(s, max));

const count = z.number().int().min(0).max(1e12);
/** The workload's activity over the last heartbeat interval (src/domain/lifetimes.ts judges it). */
export const Activity = z.object({ cpuPercent: z.number().min(0).max(100_000).optional(), connections: count.optional(), networkBytes: count.optional(), sessions: count.optional() }).strict();

/** Frames an agent may send, validated by the hub. Caps are in protocol.ts. */
export const AgentMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), version: z.string().max(MAX_VERSION_CHARS), uptimeSeconds: z.number().optional(), workloadHealthy: z.boolean().nullable().optional(), hostname: text(MAX_NAME_CHARS).optional(), tailnetName: z.string().max(MAX_NAME_CHARS).optional() }),
  z.object({ type: z.literal('heartbeat'), workloadHealthy: z.boolean().nullable().optional(), uptimeSeconds: z.number().optional(), activity: Activity.optional() }),
  z.object({ type: z.literal('progress'), step: z.enum(['configure', 'workload']), detail: text(MAX_DETAIL_CHARS).optional() }),
  z.object({ type: z.literal('health'), healthy: z.boolean(), detail: text(MAX_DETAIL_CHARS).optional() }),
  z.object({ type: z.literal('log'), source: z.enum(['bootstrap', 'agent', 'workload']), lines: z.array(text(LOG_MAX_LINE_CHARS)).max(LOG_MAX_LINES), at: z.number().int().nonnegative().optional() }),
  z.object({ type: z.literal('update'), phase: z.enum(['available', 'downloaded', 'refused', 'switching', 'committed', 'rolled-back']), version: z.string().max(MAX_VERSION_CHARS), from: z.string().max(MAX_VERSION_CHARS).nullable().optional(), detail: text(MAX_DETAIL_CHARS).optional() }),
  z.object({ type: z.literal('result'), id: z.string().max(MAX_ID_CHARS), ok: z.boolean(), data: z.unknown().optional(), error: text(MAX_DETAIL_CHARS).optional() }),
]);
export type AgentMessage = z.infer<typeof AgentMessage>;

/**
 * The event text of a `log` frame: its lines, as many as fit in LOG_MAX_FRAME_CHARS, and a note
 * of how many did not.
 *
 * @example
 * logText(['a', 'b']) // { reason: 'a\nb', kept: 2, omitted: 0 }
 */
export function logText(lines: string[]): { reason: string; kept: number; omitted: number } {
  let size = 0;
  let kept = 0;
  for (const l of lines) {
    if (size + l.length + 1 > LOG_MAX_FRAME_CHARS) break;
    size += l.length + 1;
    kept++;
  }
  const omitted = lines.length - kept;
  const body = lines.slice(0, kept).join('\n');
  return { reason: omitted ? `${body}\n… [${omitted} more lines not kept]` : body, kept, omitted };
}

/** How far an agent's clock may be ahead of ours, and how old a log line may be stamped, before its own time is not believed. */
const SKEW_AHEAD_MS = 60_000;
const MAX_AGE_MS = 7 * 24 * 3600_000;

/**
 * The time to record a log frame at: the agent's own (`at`, when its first line was written, so
 * lines sent late after a reconnect keep their time), unless it is missing or implausible
 * (ahead of `now` by more than a minute, or older than a week): then `now`.
 *
 * @example
 * logTime(1_700_000_000_000, new Date(1_700_000_005_000)) // → Date(1_700_000_000_000)
 */
export function logTime(at: number | undefined, now: Date = new Date()): Date {
  if (at === undefined || at > now.getTime() + SKEW_AHEAD_MS || at < now.getTime() - MAX_AGE_MS) return now;
  return new Date(at);
}
