import type { Command } from 'commander';
import type { PutPoolBody } from '../client.ts';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table } from '../output.ts';
import type { Action } from '../program.ts';

interface SetOptions extends CommonOptions {
  type?: string;
  location?: string;
  workload: string;
  ready: string;
  name?: string;
}

/**
 * `hangar pool set|ls|rm`: warm pools (servers kept booted with the agent connected; a matching
 * `hangar create` claims one and is running in seconds), and `hangar pool budget` (the shared
 * cloud-API budget).
 *
 * @example
 * hangar pool set hetzner --type cpx22 --location nbg1 --workload openclaw --ready 2
 */
export function registerPools(program: Command, action: Action): void {
  const pool = program.command('pool').description('warm pools: servers kept booted for fast creates (set, ls, rm, budget)');
  pool
    .command('set')
    .description('keep N servers of this shape warm; a create with the same provider, type, location and workload claims one')
    .argument('<provider>', 'hetzner, digital-ocean or local')
    .option('--type <serverType>', "server type (default: the provider's)")
    .option('--location <location>', "location (default: the provider's)")
    .option('--workload <kind>', 'workload the servers are for', 'process')
    .option('--ready <n>', 'servers to keep warm', '1')
    .option('--name <name>', 'pool name (default: provider-type-location-workload)')
    .action(action<SetOptions>(async (ctx, [provider], opts) => {
      ctx.fieldFlags = { provider: 'PROVIDER', serverType: '--type', location: '--location', workload: '--workload', ready: '--ready' };
      const ready = Number(opts.ready);
      if (!Number.isInteger(ready) || ready < 0) throw new UsageError(`--ready must be a whole number ≥ 0, got "${opts.ready}"`);
      const name = opts.name ?? [provider, opts.type, opts.location, opts.workload].filter(Boolean).join('-').toLowerCase();
      const body = { provider, serverType: opts.type ?? null, location: opts.location ?? null, workload: opts.workload, ready } as PutPoolBody;
      const p = await ctx.client().putPool(name, body);
      if (ctx.json) return ctx.printJson(p);
      ctx.print(`${ctx.c.green('✔')} pool ${ctx.c.bold(p.name)} keeps ${p.ready} warm (${p.warm} warm, ${p.starting} starting)`);
      ctx.print(`  claimed by: hangar create --provider ${p.provider}${p.serverType ? ` --type ${p.serverType}` : ''}${p.location ? ` --location ${p.location}` : ''} --workload ${p.workload}`);
    }));
  pool
    .command('ls')
    .description('list warm pools with their warm and starting servers')
    .action(action<CommonOptions>(async (ctx) => {
      const { items } = await ctx.client().listPools();
      if (ctx.json) return ctx.printJson(items);
      if (!items.length) return ctx.print('no pools; add one with `hangar pool set hetzner --type cpx22 --location nbg1 --workload openclaw --ready 2`');
      ctx.print(table(['NAME', 'PROVIDER', 'TYPE', 'LOCATION', 'WORKLOAD', 'READY', 'WARM', 'STARTING', 'STATE'], items.map((p) => [p.name, p.provider, p.serverType ?? '(default)', p.location ?? '(default)', p.workload, String(p.ready), String(p.warm), String(p.starting), p.paused ? `paused: ${p.pauseReason ?? ''}` : p.consecutiveFailures ? `${p.consecutiveFailures} failures` : 'ok']), ctx.c));
    }));
  pool
    .command('rm')
    .description('delete a pool; its unclaimed servers are destroyed')
    .argument('<name>', 'pool name')
    .action(action<CommonOptions>(async (ctx, [name]) => {
      await ctx.client().removePool(name);
      if (ctx.json) return ctx.printJson({ removed: name });
      ctx.print(`${ctx.c.green('✔')} pool ${name} deleted; its unclaimed servers are being destroyed`);
    }));
  pool
    .command('budget')
    .description('the shared cloud-API budget per vendor account (all replicas together)')
    .action(action<CommonOptions>(async (ctx) => {
      const { items } = await ctx.client().apiBudget();
      if (ctx.json) return ctx.printJson(items);
      if (!items.length) return ctx.print('no cloud-API calls yet');
      ctx.print(table(['BUCKET', 'LIMIT', 'REMAINING', 'USED', 'IN FLIGHT', 'URGENT', 'CREATE', 'LIST', '429s'], items.map((b) => [b.bucket, String(b.limit), String(b.remaining), `${Math.round(b.usedRatio * 100)}%`, String(b.inFlight), String(b.granted.urgent), String(b.granted.create), String(b.granted.list), String(b.limited)]), ctx.c));
    }));
}
