import { Option, type Command } from 'commander';
import { body } from '../../api/contract/index.ts';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table } from '../output.ts';
import type { Action } from '../program.ts';

const FORMATS = ['standard', 'slack', 'json'] as const;

/**
 * `hangar webhook add|ls|rm|deliveries|redeliver|test`: signed outbound webhooks and alerts of
 * the current project (role owner).
 *
 * @example
 * hangar webhook add https://hooks.example.com/hangar --events instance.running,instance.failed
 * hangar webhook add https://hooks.slack.com/services/T/B/X --events instance.unreachable --format slack
 */
export function registerWebhook(program: Command, action: Action): void {
  const wh = program.command('webhook').description('signed webhooks and Slack/JSON alerts: add, list, remove, delivery log, redeliver, test');
  wh.command('add')
    .description('add an endpoint; prints its whsec_ signing secret once (keep it: it is never shown again)')
    .argument('<url>', 'https URL events are POSTed to')
    .requiredOption('--events <types>', 'comma-separated event types (instance.running,instance.failed,…) or * for all')
    .addOption(new Option('--format <format>', 'standard (Standard Webhooks envelope), slack ({ text }), json (flat)').choices(FORMATS).default('standard'))
    .action(action<CommonOptions & { events: string; format: (typeof FORMATS)[number] }>(async (ctx, [url], opts) => {
      ctx.fieldFlags = { url: 'URL', events: '--events', format: '--format' };
      const events = opts.events.split(',').map((s) => s.trim()).filter(Boolean);
      if (!events.length) throw new UsageError('--events needs at least one event type (or *)');
      const api = ctx.client().api;
      const ep = await body(api.POST('/v1/webhooks', { body: { url, events: events as never, format: opts.format } }));
      if (ctx.json) return ctx.printJson(ep);
      ctx.print(`${ctx.c.green('✔')} webhook ${ctx.c.bold(ep.id)} → ${ep.url} (${ep.format}; ${ep.events.join(', ')})`);
      ctx.print(`  signing secret (shown once): ${ep.secret}`);
      ctx.print(`  send a test: hangar webhook test ${ep.id}`);
    }));
  wh.command('ls')
    .description("list the project's endpoints")
    .action(action<CommonOptions>(async (ctx) => {
      const { items } = await body(ctx.client().api.GET('/v1/webhooks'));
      if (ctx.json) return ctx.printJson(items);
      if (!items.length) return ctx.print('no webhooks; add one with `hangar webhook add https://… --events instance.failed`');
      ctx.print(table(['ID', 'URL', 'FORMAT', 'EVENTS', 'STATE'], items.map((e) => [e.id, e.url, e.format, e.events.join(','), e.enabled ? (e.failingSince ? ctx.c.yellow(`failing since ${e.failingSince}`) : ctx.c.green('enabled')) : ctx.c.red(`disabled: ${e.disabledReason ?? ''}`)]), ctx.c));
    }));
  wh.command('rm')
    .description('remove an endpoint and its delivery log')
    .argument('<id>', 'endpoint id')
    .action(action<CommonOptions>(async (ctx, [id]) => {
      await body(ctx.client().api.DELETE('/v1/webhooks/{id}', { params: { path: { id } } }));
      if (ctx.json) return ctx.printJson({ removed: id });
      ctx.print(`${ctx.c.green('✔')} webhook ${id} removed`);
    }));
  wh.command('deliveries')
    .description('the delivery log, newest first: status, attempts, last status code, latency, error')
    .argument('<id>', 'endpoint id')
    .option('--limit <n>', 'how many', '50')
    .action(action<CommonOptions & { limit: string }>(async (ctx, [id], opts) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError(`--limit must be 1 to 200, got "${opts.limit}"`);
      const { items } = await body(ctx.client().api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit } } }));
      if (ctx.json) return ctx.printJson(items);
      if (!items.length) return ctx.print(`no deliveries yet; send one with \`hangar webhook test ${id}\``);
      ctx.print(table(['DELIVERY', 'EVENT', 'STATUS', 'ATTEMPTS', 'HTTP', 'LATENCY', 'ERROR', 'CREATED'], items.map((d) => [d.id, d.eventType, d.status, String(d.attempts), d.lastStatus === null ? '' : String(d.lastStatus), d.lastLatencyMs === null ? '' : `${d.lastLatencyMs} ms`, d.lastError ?? '', d.createdAt]), ctx.c));
    }));
  wh.command('redeliver')
    .description('send a delivery again (same webhook-id, so receivers can deduplicate)')
    .argument('<id>', 'endpoint id')
    .argument('<deliveryId>', 'delivery id from `hangar webhook deliveries`')
    .action(action<CommonOptions>(async (ctx, [id, deliveryId]) => {
      const d = await body(ctx.client().api.POST('/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id, deliveryId } } }));
      if (ctx.json) return ctx.printJson(d);
      ctx.print(`${ctx.c.green('✔')} delivery ${d.id} (${d.eventType}, ${d.webhookId}) queued again`);
    }));
  wh.command('test')
    .description('queue a signed webhook.test message to the endpoint')
    .argument('<id>', 'endpoint id')
    .action(action<CommonOptions>(async (ctx, [id]) => {
      const d = await body(ctx.client().api.POST('/v1/webhooks/{id}/test', { params: { path: { id } } }));
      if (ctx.json) return ctx.printJson(d);
      ctx.print(`${ctx.c.green('✔')} test delivery ${d.id} queued; see it with \`hangar webhook deliveries ${id}\``);
    }));
}
