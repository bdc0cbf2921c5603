import type { Command } from 'commander';
import type { CommonOptions } from '../context.ts';
import { table } from '../output.ts';
import type { Action } from '../program.ts';

/** `hangar providers [NAME]`: configured providers; with a name, its locations and server types. */
export function registerProviders(program: Command, action: Action): void {
  program
    .command('providers')
    .description('list configured providers; with NAME, its locations and server types with prices')
    .argument('[name]', 'a provider name')
    .action(action<CommonOptions>(async (ctx, [name]) => {
      const client = ctx.client();
      if (!name) {
        const { items } = await client.listProviders();
        if (ctx.json) return ctx.printJson(items);
        ctx.print(table(['PROVIDER', 'USER-DATA LIMIT'], items.map((p) => [p.name, `${Math.round(p.userDataLimit / 1024)} KiB`]), ctx.c));
        return 0;
      }
      const [locations, types] = await Promise.all([client.locations(name), client.serverTypes(name)]);
      if (ctx.json) return ctx.printJson({ locations: locations.items, serverTypes: types.items });
      ctx.print(ctx.c.bold('Locations'));
      ctx.print(table(['NAME', 'CITY', 'COUNTRY'], locations.items.map((l) => [l.name, l.city ?? '', l.country ?? '']), ctx.c));
      ctx.print('');
      ctx.print(ctx.c.bold('Server types'));
      const rows = types.items.map((t) => {
        const p = t.prices[0];
        return [t.name, String(t.cores), `${t.memoryGb} GB`, `${t.diskGb} GB`, p ? `${p.monthly.toFixed(2)} ${p.currency}/mo (${t.prices.length} locations)` : ''];
      });
      ctx.print(table(['TYPE', 'CPU', 'MEMORY', 'DISK', 'PRICE'], rows, ctx.c));
    }));
}
