import { Argument, type Command } from 'commander';
import type { components } from '../../api/contract/types.ts';
import { PROVIDERS } from '../choices.ts';
import type { CommonOptions } from '../context.ts';
import { table, type Colors } from '../output.ts';
import type { Action } from '../program.ts';

/** `hangar providers [NAME]`: every known provider, configured or not (with how to enable it); with a name, its locations and server types. */
export function registerProviders(program: Command, action: Action): void {
  program
    .command('providers')
    .description('list the providers, configured or not (with how to enable each); with NAME, its locations and server types with prices')
    .addArgument(new Argument('[name]', 'a provider name').choices(PROVIDERS))
    .action(action<CommonOptions>(async (ctx, [name]) => {
      const client = ctx.client();
      if (!name) {
        const list = await client.listProviders();
        if (ctx.json) return ctx.printJson([...list.items, ...list.unconfigured]);
        ctx.print(providersTable(list, ctx.c));
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

/**
 * `GET /v1/providers` as a table: the configured providers, then the others with how to enable
 * each, then the tailnet.
 *
 * @example
 * providersTable({ items: [{ name: 'local', configured: true, userDataLimit: 65536, credentials: 'none needed' }], unconfigured: [], tailnet: 'environment' }, colors(false))
 * // → 'PROVIDER  CONFIGURED  USER-DATA LIMIT  CREDENTIALS / HOW TO ENABLE\nlocal     yes         64 KiB           none needed\n\ntailnet: configured (environment)'
 */
export function providersTable(list: components['schemas']['ProviderList'], c: Colors): string {
  const rows = [
    ...list.items.map((p) => [p.name, c.green('yes'), `${Math.round(p.userDataLimit / 1024)} KiB`, p.credentials]),
    ...list.unconfigured.map((p) => [p.name, c.yellow('no'), '', p.enable]),
  ];
  const tailnet = list.tailnet === 'not configured' ? 'not configured (set TAILSCALE_API_KEY, or TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET)' : `configured (${list.tailnet})`;
  return `${table(['PROVIDER', 'CONFIGURED', 'USER-DATA LIMIT', 'CREDENTIALS / HOW TO ENABLE'], rows, c)}\n\ntailnet: ${tailnet}`;
}
