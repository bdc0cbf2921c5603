import type { Command } from 'commander';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table } from '../output.ts';
import type { Action } from '../program.ts';

const CLOUDS = ['hetzner', 'digital-ocean'];

interface BuildOptions extends CommonOptions {
  provider: string;
  location?: string;
  wait?: boolean;
  pollMs?: string;
}

/** `hangar snapshot build|ls|rm|prune`: images with everything installed, for fast boots. */
export function registerSnapshot(program: Command, action: Action): void {
  const snap = program.command('snapshot').description('snapshots with the full install baked in (fast path): build, list, remove, prune');
  snap
    .command('build')
    .description('build a snapshot: a builder server runs the full install, is cleaned, powered off, imaged and deleted')
    .requiredOption('--provider <provider>', `cloud to build on (${CLOUDS.join(' | ')})`)
    .option('--location <location>', 'where the builder runs (default: the provider default)')
    .option('--wait', 'print progress until the build is done (exit 0) or failed (exit 1)')
    .action(action<BuildOptions>(async (ctx, _args, opts) => {
      ctx.fieldFlags = { provider: '--provider', location: '--location' };
      if (!CLOUDS.includes(opts.provider)) throw new UsageError(`--provider must be one of ${CLOUDS.join(', ')}, got "${opts.provider}"`);
      const client = ctx.client();
      let build = await client.buildSnapshot({ provider: opts.provider, ...(opts.location ? { location: opts.location } : {}) });
      if (!opts.wait) {
        if (ctx.json) return ctx.printJson(build);
        ctx.print(`${ctx.c.green('✔')} snapshot build ${ctx.c.bold(build.id)} started on ${build.provider} (bootstrap version ${build.bootstrapVersion})`);
        ctx.print(`  follow it: hangar snapshot build --provider ${build.provider} --wait, or GET /v1/snapshot-builds/${build.id}`);
        return 0;
      }
      let shown = 0;
      for (;;) {
        for (const e of build.events.slice(shown)) {
          if (!ctx.json) ctx.print(`${e.at.slice(11, 19)} ${ctx.c.dim(`[${e.status}]`)} ${e.message}`);
        }
        shown = build.events.length;
        if (build.status === 'done' || build.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 1000));
        build = await client.getSnapshotBuild(build.id);
      }
      if (ctx.json) ctx.printJson(build);
      else if (build.status === 'done') ctx.print(`${ctx.c.green('✔')} snapshot ${ctx.c.bold(build.imageId ?? '')} ready on ${build.provider}: new instances there boot from it`);
      else ctx.print(ctx.c.red(`✘ snapshot build failed: ${build.error ?? 'unknown reason'}`));
      return build.status === 'done' ? 0 : 1;
    }));
  snap
    .command('ls')
    .description('list the snapshots this installation built (CURRENT: made for this bootstrap version)')
    .option('--provider <provider>', `only one cloud (${CLOUDS.join(' | ')})`)
    .action(action<CommonOptions & { provider?: string }>(async (ctx, _args, opts) => {
      const { items } = await ctx.client().listSnapshots(opts.provider);
      if (ctx.json) return ctx.printJson(items);
      if (!items.length) return ctx.print('no snapshots; build one with `hangar snapshot build --provider hetzner --wait`');
      ctx.print(table(['PROVIDER', 'ID', 'NAME', 'BOOTSTRAP VERSION', 'CURRENT', 'SIZE', 'CREATED'], items.map((s) => [s.provider, s.id, s.name, s.bootstrapVersion ?? '', s.current ? 'yes' : 'no', s.sizeGb != null ? `${s.sizeGb} GB` : '', s.createdAt ?? '']), ctx.c));
    }));
  snap
    .command('rm')
    .description('delete one of our snapshots')
    .argument('<provider>', CLOUDS.join(' | '))
    .argument('<id>', 'snapshot id')
    .action(action<CommonOptions>(async (ctx, [provider, id]) => {
      await ctx.client().deleteSnapshot(provider, id);
      if (ctx.json) return ctx.printJson({ deleted: { provider, id } });
      ctx.print(`${ctx.c.green('✔')} snapshot ${provider}/${id} deleted`);
    }));
  snap
    .command('prune')
    .description('delete our snapshots except the newest per provider and bootstrap version')
    .option('--provider <provider>', `only one cloud (${CLOUDS.join(' | ')})`)
    .action(action<CommonOptions & { provider?: string }>(async (ctx, _args, opts) => {
      const r = await ctx.client().pruneSnapshots(opts.provider);
      if (ctx.json) return ctx.printJson(r);
      for (const s of r.deleted) ctx.print(`  deleted ${s.provider}/${s.id} (${s.bootstrapVersion ?? 'no version'})`);
      for (const s of r.kept) ctx.print(`  kept    ${s.provider}/${s.id} (${s.bootstrapVersion ?? 'no version'})`);
      ctx.print(`${ctx.c.green('✔')} pruned ${r.deleted.length} snapshot${r.deleted.length === 1 ? '' : 's'}, kept ${r.kept.length}`);
    }));
}
