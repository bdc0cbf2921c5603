import type { Command } from 'commander';
import type { CommonOptions } from '../context.ts';
import { parseTimeout } from '../errors.ts';
import type { Action } from '../program.ts';
import { waitUntil } from './create.ts';
import { resolveId } from './resolve.ts';

/** `hangar rm ID`: delete the server (404 at the provider counts as done) and revoke the agent. */
export function registerRm(program: Command, action: Action): void {
  program
    .command('rm')
    .alias('delete')
    .description('destroy an instance: stop its agent, delete its server and tailnet device')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .option('--wait', 'follow the teardown (on stderr) until stopped (exit 0) or failed (exit 1)')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long, exit 124')
    .action(action<CommonOptions & { wait?: boolean; timeout?: string }>(async (ctx, [ref], opts) => {
      parseTimeout(opts.timeout);
      const client = ctx.client();
      const id = await resolveId(client, ref);
      // Follow only what the delete causes: start after the newest event before it.
      const after = opts.wait ? ((await client.events(id)).at(-1)?.id ?? 0) : 0;
      const inst = await client.deleteInstance(id);
      if (!opts.wait) {
        if (ctx.json) return ctx.printJson(inst);
        ctx.print(`${ctx.c.green('✔')} deleting ${ctx.c.bold(inst.name)} (${inst.id}); it is ${inst.status}`);
        return 0;
      }
      if (inst.status === 'stopped') {
        if (ctx.json) ctx.printJson(inst);
        else ctx.print(`${ctx.c.green('✔')} ${inst.name} is stopped`);
        return 0;
      }
      ctx.info(`Deleting ${ctx.c.bold(inst.name)} (${inst.id})…`);
      return waitUntil(ctx, client, inst, ['stopped', 'failed'], 'stopped', opts.timeout, after);
    }));
}
