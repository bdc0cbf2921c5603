import type { Command } from 'commander';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import type { Action } from '../program.ts';

interface InventoryOptions extends CommonOptions {
  ansible?: boolean;
  list?: boolean;
  host?: string;
}

const HELP = `
As an Ansible inventory script (contrib/hangar-inventory wraps this):
  ansible-inventory -i contrib/hangar-inventory --graph
  ansible -i contrib/hangar-inventory provider_hetzner -m ping
Groups: project_<p>, provider_<p>, location_<l>, workload_<w>, status_<s>, label_<key>_<value>.
Hosts are server names; ansible_host is the tailnet name when on a tailnet, else the public IP.`;

/**
 * `hangar inventory --ansible` (or `--list`): the project's Ansible dynamic inventory as JSON on
 * stdout; `--host NAME`: that host's vars (`{}` for an unknown one, as the script protocol wants).
 *
 * @example
 * // hangar inventory --host hangar-web-5aa2f4bc  → {"ansible_host": "203.0.113.7", …}
 */
export function registerInventory(program: Command, action: Action): void {
  program
    .command('inventory')
    .description('print the Ansible dynamic inventory (groups by project, provider, location, workload, status, label)')
    .option('--ansible', 'the whole inventory, as `ansible-inventory` expects it (the default)')
    .option('--list', 'the same (the inventory-script protocol)')
    .option('--host <name>', "one host's vars (the inventory-script protocol)")
    .addHelpText('after', HELP)
    .action(action<InventoryOptions>(async (ctx, _args, opts) => {
      if (opts.host !== undefined && (opts.list || opts.ansible)) throw new UsageError('--host cannot be combined with --list/--ansible');
      const inv = await ctx.client().inventory();
      if (opts.host !== undefined) return ctx.printJson(inv._meta.hostvars[opts.host] ?? {});
      ctx.printJson(inv);
    }));
}
