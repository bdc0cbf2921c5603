import { z } from 'zod';

/** Frames an agent may send, validated by the hub. */
export const AgentMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), version: z.string(), uptimeSeconds: z.number().optional(), workloadHealthy: z.boolean().nullable().optional(), hostname: z.string().optional(), tailnetName: z.string().max(255).optional() }),
  z.object({ type: z.literal('heartbeat'), workloadHealthy: z.boolean().nullable().optional(), uptimeSeconds: z.number().optional() }),
  z.object({ type: z.literal('progress'), step: z.enum(['configure', 'workload']), detail: z.string().optional() }),
  z.object({ type: z.literal('health'), healthy: z.boolean(), detail: z.string().optional() }),
  z.object({ type: z.literal('log'), source: z.enum(['bootstrap', 'agent', 'workload']), lines: z.array(z.string()).max(500) }),
  z.object({ type: z.literal('update'), phase: z.enum(['available', 'downloaded', 'refused', 'switching', 'committed', 'rolled-back']), version: z.string().max(64), from: z.string().max(64).nullable().optional(), detail: z.string().max(2000).optional() }),
  z.object({ type: z.literal('result'), id: z.string(), ok: z.boolean(), data: z.unknown().optional(), error: z.string().optional() }),
]);
export type AgentMessage = z.infer<typeof AgentMessage>;

