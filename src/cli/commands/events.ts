import type { Command } from 'commander';
import type { InstanceEvent } from '../../api/contract/types.ts';
import type { CommonOptions, Context } from '../context.ts';
import { eventText, eventTime } from '../output.ts';
import type { Action } from '../program.ts';
import { resolveId } from './resolve.ts';

/** `hangar events ID [--follow]`: the instance's event log, then (with --follow) live events. */
export function registerEvents(program: Command, action: Action): void {
  program
    .command('events')
    .description("print an instance's event log; --follow streams new events until Ctrl+C or the instance stops")
    .argument('<id>', 'instance id, unique id prefix, or name')
    .option('-f, --follow', 'keep streaming new events')
    .option('--after <eventId>', 'only events after this id', '0')
    .action(action<CommonOptions & { follow?: boolean; after: string }>(async (ctx, [ref], opts) => {
      const client = ctx.client();
      const id = await resolveId(client, ref);
      const after = Number(opts.after) || 0;
      const show = (e: InstanceEvent) => (ctx.json ? ctx.printJsonLine(e) : ctx.print(line(ctx, e)));
      if (!opts.follow) {
        const events = await client.events(id, after);
        if (ctx.json) return ctx.printJson(events);
        for (const e of events) show(e);
        return 0;
      }
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        for await (const e of client.followEvents(id, { after, signal: ac.signal, onReconnect: (n, err) => ctx.info(ctx.ce.yellow(`stream dropped (${err.message}); reconnecting (attempt ${n})`)) })) {
          show(e);
          if (e.kind === 'transition' && e.to === 'stopped') break;
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      return 0;
    }));
}

function line(ctx: Context, e: InstanceEvent): string {
  return `${ctx.c.dim(eventTime(e.at))} ${ctx.c.dim(`#${e.id}`)} ${eventText(e, ctx.c)}`;
}
