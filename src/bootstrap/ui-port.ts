import { OPENCLAW_DEFAULT_PORT } from './openclaw.ts';

/**
 * The loopback port of a workload's own web UI, which Hangar's proxy (`/v1/instances/:id/proxy/`)
 * forwards to: `uiPort` when set, else the workload's known one (the OpenClaw gateway's `port`,
 * 18789 by default; a `process` workload's fixed `port`); null when it has none.
 *
 * @example
 * workloadUiPort('openclaw', {}) // → 18789
 * workloadUiPort('process', { port: 8080 }) // → 8080
 * workloadUiPort('process', {}) // → null (the agent picks a free port)
 */
export function workloadUiPort(workload: string, config: Record<string, unknown> | null): number | null {
  const c = config ?? {};
  const port = (v: unknown): number | null => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65_535 ? (v as number) : null);
  if (port(c.uiPort)) return port(c.uiPort);
  if (workload === 'openclaw') return port(c.port) ?? OPENCLAW_DEFAULT_PORT;
  if (workload === 'process') return port(c.port);
  return null;
}
