import { Option, type Command } from 'commander';
import { parseStatuses, PROVIDERS, STATUSES } from '../choices.ts';
import type { CommonOptions } from '../context.ts';
import { formatAge, shortIds, statusColor, statusText, table } from '../output.ts';
import type { Action } from '../program.ts';

/** `hangar ls`: every instance, newest first. */
export function registerLs(program: Command, action: Action): void {
  program
    .command('ls')
    .alias('list')
    .description('list instances')
    .option('--status <status>', `only these statuses, comma-separated (${STATUSES.join(', ')})`, parseStatuses)
    .addOption(new Option('-p, --provider <name>', 'only this provider').choices(PROVIDERS))
    .option('-a, --all', 'include stopped instances (failed ones are always listed)')
    .action(action<CommonOptions & { status?: string; provider?: string; all?: boolean }>(async (ctx, _args, opts) => {
      ctx.fieldFlags = { status: '--status', provider: '--provider' };
      const client = ctx.client();
      let items = await client.listAllInstances({ limit: 200, status: opts.status, provider: opts.provider });
      // By default only stopped instances are hidden: a failed one stays listed even after
      // onFailure=destroy tore it down (stopped, with its failure reason), as the dashboard does.
      if (!opts.all && !opts.status) items = items.filter((i) => i.status !== 'stopped' || i.failureReason);
      if (ctx.json) return ctx.printJson(items);
      if (!items.length) {
        ctx.print(`no instances${opts.all || opts.status || opts.provider ? ' match' : ''}; create one with \`hangar create --provider local --wait\``);
        return 0;
      }
      const ids = shortIds(items.map((i) => i.id));
      const rows = items.map((i) => [
        ids.get(i.id) ?? i.id,
        i.name,
        i.provider,
        statusText(i, ctx.c),
        statusColor(i.connection, ctx.c)(i.connection),
        i.workload,
        i.ipv4 ?? i.tailnetName ?? '',
        formatAge(i.createdAt),
      ]);
      ctx.print(table(['ID', 'NAME', 'PROVIDER', 'STATUS', 'CONNECTION', 'WORKLOAD', 'ADDRESS', 'AGE'], rows, ctx.c));
    }));
}
