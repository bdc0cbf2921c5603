import type { Command } from 'commander';
import { body } from '../../api/contract/index.ts';
import { parseExpiry } from '../../domain/projects.ts';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatAge, table } from '../output.ts';
import type { Action } from '../program.ts';

const GRANTS = ['viewer', 'operator', 'releaser', 'owner', 'admin'];
const timeout = () => AbortSignal.timeout(30_000);

interface KeyCreateOptions extends CommonOptions {
  role: string;
  name: string;
  expires?: string;
}

/**
 * `hangar project create|ls|rm` (projects are tenants; installation admins create and remove them)
 * and `hangar keys create|ls|revoke` (API keys of the project `--project` / HANGAR_PROJECT names).
 *
 * @example
 * hangar project create team-a
 * hangar keys create --project team-a --role operator --name ci --expires 90d
 */
export function registerTenancy(program: Command, action: Action): void {
  const project = program.command('project').description('projects (tenants): create, list, remove');
  project
    .command('create <name>')
    .description('create a project (installation admins); names are DNS labels, never reused')
    .action(action<CommonOptions>(async (ctx, [name]) => {
      ctx.fieldFlags = { name: '<name>' };
      const p = await body(ctx.client().api.POST('/v1/projects', { body: { name }, signal: timeout() }));
      if (ctx.json) return ctx.printJson(p);
      ctx.print(`${ctx.c.green('✔')} project ${ctx.c.bold(p.name)} created; mint its first key: hangar keys create --project ${p.name} --role owner --name ${p.name}-owner`);
    }));
  project
    .command('ls')
    .description('list the projects you may act in, with their live instances')
    .action(action<CommonOptions>(async (ctx) => {
      const { items } = await body(ctx.client().api.GET('/v1/projects', { signal: timeout() }));
      if (ctx.json) return ctx.printJson(items);
      ctx.print(table(['PROJECT', 'LIVE INSTANCES', 'CREATED', 'BY'], items.map((p) => [p.name, String(p.liveInstances), formatAge(p.createdAt), p.createdBy ?? '']), ctx.c));
    }));
  project
    .command('rm <name>')
    .description('remove a project (installation admins): refused while it has live instances; revokes its keys')
    .action(action<CommonOptions>(async (ctx, [name]) => {
      await body(ctx.client().api.DELETE('/v1/projects/{name}', { params: { path: { name } }, signal: timeout(), parseAs: 'text' }));
      if (ctx.json) return ctx.printJson({ removed: name });
      ctx.print(`${ctx.c.green('✔')} project ${name} removed; its keys are revoked`);
    }));

  const keys = program.command('keys').description('API keys of a project (--project): create, list, revoke');
  keys
    .command('create')
    .description('mint an API key (shown once); never a role above your own')
    .requiredOption('--role <role>', `${GRANTS.join(' | ')} (admin: an installation admin key, admins only)`)
    .requiredOption('--name <name>', 'what the key is for (ci, alice, …)')
    .option('--expires <duration>', 'lifetime: 90d, 12h, 30m or never', 'never')
    .action(action<KeyCreateOptions>(async (ctx, _args, opts) => {
      ctx.fieldFlags = { role: '--role', name: '--name', expiresInSeconds: '--expires' };
      if (!GRANTS.includes(opts.role)) throw new UsageError(`--role must be one of ${GRANTS.join(', ')}, got "${opts.role}"`);
      let ms: number | null;
      try {
        ms = parseExpiry(opts.expires ?? 'never');
      } catch (err) {
        throw new UsageError(`--expires: ${(err as Error).message}`);
      }
      const k = await body(ctx.client().api.POST('/v1/keys', { body: { name: opts.name, role: opts.role as 'viewer', ...(ms ? { expiresInSeconds: Math.round(ms / 1000) } : {}) }, signal: timeout() }));
      if (ctx.json) return ctx.printJson(k);
      ctx.print(`${ctx.c.green('✔')} key ${ctx.c.bold(k.name)} (${k.role}${k.project ? ` in ${k.project}` : ', installation admin'}${k.expiresAt ? `, expires ${k.expiresAt}` : ''}). Shown once, stored hashed:\n\n  ${k.key}\n`);
    }));
  keys
    .command('ls')
    .description('list the keys (never the keys themselves)')
    .action(action<CommonOptions>(async (ctx) => {
      const { items } = await body(ctx.client().api.GET('/v1/keys', { signal: timeout() }));
      if (ctx.json) return ctx.printJson(items);
      const rows = items.map((k) => [k.id, k.name, k.role, k.project ?? '(installation)', formatAge(k.createdAt), k.lastUsedAt ? formatAge(k.lastUsedAt) : 'never', k.expiresAt ?? 'never']);
      ctx.print(table(['ID', 'NAME', 'ROLE', 'PROJECT', 'CREATED', 'LAST USED', 'EXPIRES'], rows, ctx.c));
    }));
  keys
    .command('revoke <id>')
    .description('revoke a key: it stops working on the next request, on every replica')
    .action(action<CommonOptions>(async (ctx, [id]) => {
      await body(ctx.client().api.DELETE('/v1/keys/{id}', { params: { path: { id } }, signal: timeout(), parseAs: 'text' }));
      if (ctx.json) return ctx.printJson({ revoked: id });
      ctx.print(`${ctx.c.green('✔')} key ${id} revoked`);
    }));
}
