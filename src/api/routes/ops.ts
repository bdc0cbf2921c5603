import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HangarError } from '../../domain/errors.ts';
import { redactArgv } from '../../domain/redact.ts';
import type { OpResult, OpsCommand } from '../../engine/ops.ts';
import { lastSmoke } from '../../engine/smoke.ts';
import { parseInput } from '../problem.ts';

import { actorOf, type RouteContext } from './context.ts';
import { instanceIdOf } from './params.ts';
import { ExecBody, LogsQuery, RestartBody } from '../inputs.ts';


/**
 * Operating agents through the hub: status, doctor, logs, smoke, restart, exec and a nudge to
 * check for an update. Each call is one audit row (src/api/audit.ts); commands that act are also
 * an event on the instance, read-only ones (status, doctor, logs) are not.
 *
 * @example
 * registerOpsRoutes(app, ctx);
 */
export function registerOpsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ops } = ctx;
  const store = ctx.engine.store;
  const run = async (req: FastifyRequest, name: OpsCommand, args: Record<string, unknown>, timeoutMs: number, summarize: (r: OpResult) => string, audit: Record<string, unknown> = {}) => {
    const done = await ops.run(instanceIdOf(req), name, args, { timeoutMs, actor: actorOf(req), summarize, audit });
    req.auditNote = { reason: done.summary }; // the audit row's reason (read-only commands leave no instance event)
    return done;
  };
  const agentFailed = (name: string, r: { error?: string }) => new HangarError('agent-command-failed', `${name} failed on the agent: ${r.error ?? 'unknown error'}`, 502);

  app.get('/v1/instances/:id/status', { config: { access: 'viewer' } }, async (req) => {
    const row = await store.get(instanceIdOf(req));
    const cp = { id: row.id, name: row.name, status: row.status, step: row.step, connection: row.connection, lastHeartbeatAt: row.lastHeartbeatAt?.toISOString() ?? null, agentVersion: row.agentVersion, workloadHealthy: row.workloadHealthy, tailnetName: row.tailnetName, hubReplica: row.hubReplica, execEnabled: row.workloadConfig?.exec === true, lastSmoke: await lastSmoke(store.db, row.id) };
    if (row.connection !== 'connected') return { ...cp, agent: null, agentError: `agent is not connected (status ${row.status}, connection ${row.connection})` };
    const { result } = await run(req, 'status', {}, 10_000, (r) => (r.ok ? `agent v${(r.data as { version?: string })?.version ?? '?'} up` : `failed: ${r.error}`));
    return { ...cp, agent: result.ok ? result.data : null, ...(result.ok ? {} : { agentError: result.error }) };
  });

  app.post('/v1/instances/:id/doctor', { config: { access: 'operator' } }, async (req) => {
    const { result } = await run(req, 'doctor', {}, 60_000, (r) => {
      if (!r.ok) return `failed: ${r.error}`;
      const d = r.data as { status: string; checks: { name: string; status: string }[] };
      const bad = d.checks.filter((c) => c.status !== 'pass').map((c) => `${c.name} ${c.status}`);
      return `${d.status}${bad.length ? ` (${bad.join(', ')})` : ''}`;
    });
    if (!result.ok) throw agentFailed('doctor', result);
    return result.data;
  });

  app.get('/v1/instances/:id/logs', { config: { access: 'viewer' } }, async (req) => {
    const q = parseInput(LogsQuery, req.query, 'query');
    const { result } = await run(req, 'logs', q, 15_000, (r) => (r.ok ? `${(r.data as { lines: string[] }).lines.length} ${q.unit} lines` : `failed: ${r.error}`), { unit: q.unit, lines: q.lines });
    if (!result.ok) throw agentFailed('logs', result);
    return result.data;
  });

  app.post('/v1/instances/:id/smoke', { config: { access: 'operator' } }, async (req) => {
    const { result } = await ops.smoke(instanceIdOf(req), actorOf(req));
    if (!result.ok) throw agentFailed('smoke', result);
    return result.data;
  });

  app.post('/v1/instances/:id/restart', { config: { access: 'operator' } }, async (req) => {
    const body = parseInput(RestartBody, req.body ?? {});
    const t0 = new Date();
    const { result } = await run(req, 'restart', body, (body.timeoutSeconds + 15) * 1000, (r) => {
      const d = (r.data ?? {}) as { restarted?: string; healthy?: boolean; note?: string };
      return r.ok ? `${d.restarted ?? body.target} restarted${d.healthy === undefined ? '' : d.healthy ? ', healthy' : ', not healthy'}${d.note ? ` (${d.note})` : ''}` : `failed: ${r.error}`;
    }, { target: body.target });
    if (!result.ok) throw agentFailed('restart', result);
    const data = (result.data ?? {}) as Record<string, unknown>;
    if (data.restarted !== 'agent') return data;
    // The agent exited for its supervisor: wait until it is back, connected, with a healthy workload.
    const id = instanceIdOf(req);
    const deadline = t0.getTime() + body.timeoutSeconds * 1000;
    for (;;) {
      const row = await store.get(id);
      if (row.connection === 'connected' && row.workloadHealthy === true && (await store.reconnectedAfter(row.id, t0))) return { ...data, reconnected: true, healthy: true, waitedMs: Date.now() - t0.getTime() };
      if (Date.now() > deadline) throw new HangarError('agent-restart-timeout', `the agent did not come back connected and healthy within ${body.timeoutSeconds} s (connection ${row.connection}, workload healthy ${row.workloadHealthy}); see hangar logs ${row.id}`, 504);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  app.post('/v1/instances/:id/exec', { config: { access: 'operator' } }, async (req) => {
    const body = parseInput(ExecBody, req.body ?? {});
    const row = await store.get(instanceIdOf(req));
    const argv = redactArgv(body.argv);
    if (row.workloadConfig?.exec !== true) {
      await store.event(row.id, { actor: actorOf(req), kind: 'info', reason: 'command exec refused: exec is not enabled on this instance', data: { command: 'exec', ok: false, argv } });
      throw new HangarError('forbidden', 'exec is disabled for this instance; create it with config {"exec": true} to allow running commands on it', 403);
    }
    const { result } = await run(req, 'exec', body, (body.timeoutSeconds + 10) * 1000, (r) => `${argv.join(' ').slice(0, 150)} → ${r.ok ? `exit ${(r.data as { exitCode: number | null }).exitCode}` : `refused: ${r.error}`}`, { argv });
    if (!result.ok) throw new HangarError('forbidden', `the agent refused exec: ${result.error}`, 403);
    return result.data;
  });

  app.post('/v1/instances/:id/agent-update', { config: { access: 'operator' } }, async (req) => (await askToUpdate(ctx, instanceIdOf(req), actorOf(req))).result);
}

/** Ask one agent to check for its target release now (an audited command). */
function askToUpdate(ctx: RouteContext, id: string, actor: string) {
  return ctx.ops.run(id, 'update', {}, { timeoutMs: 60_000, actor, summarize: (r) => (r.ok ? (r.data as { detail?: string })?.detail ?? 'checked' : `failed: ${r.error}`) });
}

/**
 * Ask every connected agent to check for an update (after an approval or a revoke), a bounded
 * number at a time, in the background.
 *
 * @example
 * nudgeAgents(ctx);
 */
export function nudgeAgents(ctx: RouteContext): void {
  void ctx.ops
    .eachConnected(async (r) => void (await askToUpdate(ctx, r.id, 'release-rollout').catch(() => {})))
    .catch((err) => ctx.log.warn({ err }, 'asking agents to update failed'));
}
