import type { Command } from 'commander';
import type { Instance } from '../../api/contract/types.ts';
import type { Context } from '../context.ts';
import { details, formatAge, statusColor, statusText, type Colors } from '../output.ts';
import type { Action } from '../program.ts';
import { formatDuration, timeLeft } from '../../domain/lifetimes.ts';
import { resolveId } from './resolve.ts';

/** `hangar get ID`: one instance in detail. */
export function registerGet(program: Command, action: Action): void {
  program
    .command('get')
    .description('show one instance (ID may be a unique prefix, or the exact name)')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .action(action(async (ctx: Context, [ref]) => {
      const client = ctx.client();
      const inst = await client.getInstance(await resolveId(client, ref));
      if (ctx.json) return ctx.printJson(inst);
      ctx.print(instanceDetails(inst, ctx.c));
    }));
}

/** An instance as aligned `key: value` lines, id first. */
export function instanceDetails(i: Instance, c: Colors, now = Date.now()): string {
  const when = (iso: string | null) => (iso ? `${iso} (${formatAge(iso, now)} ago)` : null);
  const obj = (o: Record<string, unknown>) => (Object.keys(o).length ? Object.entries(o).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n') : null);
  const price = i.monthlyPrice === null ? null : `${i.monthlyPrice.toFixed(2)}/month`;
  return details(
    [
      ['id', c.bold(i.id)],
      ['name', i.name],
      ['status', statusText(i, c)],
      ['failure', i.failureReason ? c.red(i.failureReason) : null],
      ['connection', statusColor(i.connection, c)(i.connection)],
      ['provider', i.provider],
      ['location', i.location],
      ['server type', i.serverType],
      ['image', i.image],
      ['server', i.serverId ? `${i.serverName} (${i.serverId})` : i.serverName],
      ['ipv4', i.ipv4],
      ['ipv6', i.ipv6],
      ['tailscale', i.tailscale ? (i.tailnetName ?? 'requested') : null],
      ['workload', `${i.workload}${i.workloadHealthy === null ? '' : i.workloadHealthy ? c.green(' (healthy)') : c.red(' (unhealthy)')}`],
      ['config', obj(i.config)],
      ['secrets', i.secrets.length ? i.secrets.join(', ') : null],
      ['bootstrap', i.bootstrapPath],
      ['agent', i.agentId ? `${i.agentId}${i.agentVersion ? ` v${i.agentVersion}` : ''}` : null],
      ['heartbeat', i.lastHeartbeatAt ? `${formatAge(i.lastHeartbeatAt, now)} ago` : null],
      ['connect timeout', `${i.connectTimeoutSeconds}s`],
      ['on failure', i.onFailure],
      ['price', price],
      ['labels', obj(i.labels)],
      ['created', when(i.createdAt)],
      ['running since', when(i.runningAt)],
      ['ttl', i.expiresAt ? `${i.expiresAt} (${timeLeft(new Date(i.expiresAt), new Date(now))})` : null],
      ['idle stop', i.idleStopSeconds ? `after ${formatDuration(i.idleStopSeconds)} idle${i.idleStopAt ? ` (${timeLeft(new Date(i.idleStopAt), new Date(now))})` : ''}` : null],
      ['activity', i.lastActiveAt ? `active ${formatAge(i.lastActiveAt, now)} ago` : null],
    ],
    c,
  );
}
