import type { Command } from 'commander';
import type { CommonOptions } from '../context.ts';
import type { Action } from '../program.ts';

/** `hangar reconcile`: one reconciler pass now; prints what it repaired. */
export function registerReconcile(program: Command, action: Action): void {
  program
    .command('reconcile')
    .description('compare the clouds with the database now: adopt, fail vanished, mark and delete orphans, resume stuck work')
    .action(action<CommonOptions>(async (ctx) => {
      const r = await ctx.client().reconcile();
      if (ctx.json) return ctx.printJson(r);
      ctx.print(`${ctx.c.green('✔')} reconcile pass on ${r.replica} in ${r.durationMs} ms`);
      for (const p of r.providers) ctx.print(`  ${p.name}: ${p.servers} labelled servers${p.error ? ctx.c.red(` (could not list: ${p.error})`) : ''}`);
      const lines: [string, string[]][] = [
        ['adopted', r.adopted],
        ['duplicates deleted', r.duplicatesDeleted],
        ['leaks deleted', r.leaksDeleted],
        ['vanished (failed)', r.vanished],
        ['orphans marked', r.orphansMarked],
        ['orphans deleted', r.orphansDeleted],
        ['resumed', r.resumed],
      ];
      for (const [label, ids] of lines) if (ids.length) ctx.print(`  ${label}: ${ids.join(', ')}`);
    }));
}
