import type { Command } from 'commander';
import { parseDuration } from '../../domain/lifetimes.ts';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import type { Action } from '../program.ts';
import { waitUntil } from './create.ts';
import { resolveId } from './resolve.ts';

/**
 * `hangar stop ID [--keep-server]`, `hangar start ID`, `hangar extend ID 2h`.
 *
 * @example
 * registerLifetimes(program, action); // hangar stop web-1 --wait
 */
export function registerLifetimes(program: Command, action: Action): void {
  program
    .command('stop')
    .description('stop an instance: power off → image → delete the server (only the image bills); local/ssh: stop its agent and workload')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .option('--keep-server', 'power off only: faster to start, but a powered-off cloud server still bills')
    .option('--wait', 'follow until stopped (hibernated)')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long')
    .action(action<CommonOptions & { keepServer?: boolean; wait?: boolean; timeout?: string }>(async (ctx, [ref], opts) => {
      const client = ctx.client();
      const id = await resolveId(client, ref);
      const after = opts.wait ? ((await client.events(id)).at(-1)?.id ?? 0) : 0;
      const inst = await client.stopInstance(id, Boolean(opts.keepServer));
      if (!opts.wait || inst.status === 'hibernated') {
        if (ctx.json) return ctx.printJson(inst);
        ctx.print(`${ctx.c.green('✔')} stopping ${ctx.c.bold(inst.name)} (${inst.id}); it is ${inst.status}. Start it again with \`hangar start ${inst.id.slice(0, 8)}\``);
        return 0;
      }
      return waitUntil(ctx, client, inst, ['hibernated', 'failed', 'stopped'], 'hibernated', opts.timeout, after);
    }));

  program
    .command('start')
    .description('start a stopped instance from its image (or its kept server): enroll → running again')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .option('--wait', 'follow until running')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long')
    .action(action<CommonOptions & { wait?: boolean; timeout?: string }>(async (ctx, [ref], opts) => {
      const client = ctx.client();
      const id = await resolveId(client, ref);
      const after = opts.wait ? ((await client.events(id)).at(-1)?.id ?? 0) : 0;
      const inst = await client.startInstance(id);
      if (!opts.wait || inst.status === 'running') {
        if (ctx.json) return ctx.printJson(inst);
        ctx.print(`${ctx.c.green('✔')} starting ${ctx.c.bold(inst.name)} (${inst.id}); it is ${inst.status}`);
        return 0;
      }
      return waitUntil(ctx, client, inst, ['running', 'failed', 'stopped'], 'running', opts.timeout, after);
    }));

  program
    .command('extend')
    .description("extend an instance's TTL from its current deadline (or now)")
    .argument('<id>', 'instance id, unique id prefix, or name')
    .argument('<duration>', 'how much longer: 2h, 30m, 1h30m, 2d')
    .action(action<CommonOptions>(async (ctx, [ref, by]) => {
      if (parseDuration(by) === null) throw new UsageError(`duration must look like 2h, 30m, 1h30m or 2d, got "${by}"`);
      const client = ctx.client();
      const inst = await client.extendInstance(await resolveId(client, ref), by);
      if (ctx.json) return ctx.printJson(inst);
      ctx.print(`${ctx.c.green('✔')} ${ctx.c.bold(inst.name)} now expires at ${inst.expiresAt}`);
      return 0;
    }));
}
