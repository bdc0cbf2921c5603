import type { Command } from 'commander';
import { body } from '../../api/contract/index.ts';
import type { operations } from '../../api/contract/types.ts';
import type { CommonOptions, Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table } from '../output.ts';
import type { Action } from '../program.ts';

type AuditQuery = NonNullable<operations['listAudit']['parameters']['query']>;
type AuditPage = operations['listAudit']['responses'][200]['content']['application/json'];
export type AuditEntry = AuditPage['items'][number];

interface AuditOptions extends CommonOptions {
  actor?: string;
  action?: string;
  object?: string;
  project?: string;
  since?: string;
  until?: string;
  limit: string;
  follow?: boolean;
}

/**
 * A time as the API takes it: ISO 8601 as given, or a duration back from now (`30m`, `12h`, `7d`).
 *
 * @example
 * auditTime('2026-01-01T00:00:00Z', '--since') // → '2026-01-01T00:00:00.000Z'
 * auditTime('1h', '--since', Date.parse('2026-01-01T01:00:00Z')) // → '2026-01-01T00:00:00.000Z'
 */
export function auditTime(text: string, flag: string, now = Date.now()): string {
  const rel = /^(\d+)([smhd])$/.exec(text.trim());
  if (rel) return new Date(now - Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3 }[rel[2] as 's' | 'm' | 'h' | 'd']).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${flag} takes an ISO 8601 time (2026-01-31T12:00:00Z) or a duration back from now (30m, 12h, 7d), not "${text}"`);
  return new Date(t).toISOString();
}

/** `hangar audit [--follow]`: who did what, to which object, from where, with what outcome. */
export function registerAudit(program: Command, action: Action): void {
  program
    .command('audit')
    .description('print the audit log (mutating calls, sensitive reads, automatic actions), oldest of the page first; --follow prints new rows until Ctrl+C')
    .option('--actor <actor>', 'only this actor (api:ci, user:alice@example.com, system:reconciler)')
    .option('--action <action>', 'only this action ("POST /v1/instances/:id/exec"), or a prefix ending in * ("POST *")')
    .option('--object <object>', 'only this object: type, type:id (instance:<id>) or an id')
    .option('--since <time>', 'from this time: ISO 8601 or a duration back from now (30m, 12h, 7d)')
    .option('--until <time>', 'up to this time: ISO 8601 or a duration back from now')
    .option('--limit <n>', 'rows to print before following', '50')
    .option('-f, --follow', 'keep printing new rows (polls every 2 s)')
    .action(action<AuditOptions>(async (ctx, _args, opts) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit takes a whole number from 1 to 1000, not "${opts.limit}"`);
      const base: AuditQuery = {
        actor: opts.actor,
        action: opts.action,
        object: opts.object,
        // --project (every command's) also filters: installation admins see every project without it.
        project: opts.project,
        since: opts.since ? auditTime(opts.since, '--since') : undefined,
        until: opts.until ? auditTime(opts.until, '--until') : undefined,
      };
      const api = ctx.client().api;
      const page = (query: AuditQuery) => body(api.GET('/v1/audit', { params: { query: { ...base, ...query } }, signal: AbortSignal.timeout(30_000) }));
      const first = (await page({ limit })).items.reverse();
      if (!opts.follow) {
        if (ctx.json) return ctx.printJson(first);
        if (!first.length) ctx.info('no audit rows match');
        else ctx.print(table(['TIME', 'ACTOR', 'ACTION', 'OBJECT', 'OUTCOME', 'REASON'], first.map((r) => row(r)), ctx.c));
        return 0;
      }
      const show = (r: AuditEntry) => (ctx.json ? ctx.printJsonLine(r) : ctx.print(line(ctx, r)));
      first.forEach(show);
      let after = first.at(-1)?.id ?? (await page({ limit: 1 })).items[0]?.id ?? '0';
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once('SIGINT', onSigint);
      try {
        while (!stop.signal.aborted) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, 2000);
            stop.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
          });
          if (stop.signal.aborted) break;
          for (;;) {
            const rows = (await page({ after, limit: 500 })).items;
            rows.forEach(show);
            if (rows.length) after = rows[rows.length - 1].id;
            if (rows.length < 500) break;
          }
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      return 0;
    }));
}

const object = (r: AuditEntry) => (r.objectType ? `${r.objectType}${r.objectId ? `:${r.objectId}` : ''}` : r.objectId ?? '');

function row(r: AuditEntry): string[] {
  return [r.at.replace('T', ' ').slice(0, 19), r.actor, r.action, object(r), r.outcome, (r.reason ?? '').slice(0, 80)];
}

function line(ctx: Context, r: AuditEntry): string {
  const bad = /^[45]\d\d$|^error$/.test(r.outcome);
  return `${ctx.c.dim(r.at.replace('T', ' ').slice(0, 19))} ${r.actor} ${r.action} ${object(r)} ${bad ? ctx.c.red(r.outcome) : ctx.c.green(r.outcome)}${r.reason ? ` ${ctx.c.dim(r.reason)}` : ''}`;
}
