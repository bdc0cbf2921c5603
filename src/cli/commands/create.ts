import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { CreateInstanceBody, HangarClient, Instance } from '../client.ts';
import type { Context, CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import type { Action } from '../program.ts';
import { follow } from './follow.ts';

interface CreateOptions extends CommonOptions {
  provider: string;
  name?: string;
  location?: string;
  type?: string;
  image?: string;
  workload?: string;
  set: string[];
  configFile?: string;
  tailscale?: boolean;
  tag: string[];
  connectTimeout?: string;
  onFailure?: 'destroy' | 'keep';
  idempotencyKey?: string;
  dryRun?: boolean;
  wait?: boolean;
  timeout?: string;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** `hangar create`: ask for an instance; with --wait, show each step until it runs or fails. */
export function registerCreate(program: Command, action: Action): void {
  program
    .command('create')
    .description('create an instance (an agent server) and, with --wait, follow it to running')
    .requiredOption('-p, --provider <name>', 'local | hetzner | digital-ocean | ssh')
    .option('-n, --name <name>', 'display name (default: derived from the id)')
    .option('-l, --location <location>', 'location / region (see `hangar providers PROVIDER`)')
    .option('-t, --type <serverType>', 'server type / size')
    .option('--image <image>', 'image name or snapshot id')
    .option('-w, --workload <kind>', 'process | openclaw | agent-manager | runner-stack | compose', 'process')
    .option('-s, --set <key=value>', 'workload setting (repeatable); keys ending in key/token/password/secret are stored sealed', collect, [])
    .option('--config-file <path>', 'workload settings as a JSON object')
    .option('--tailscale', 'join the instance to the tailnet')
    .option('--tag <tag:name>', 'Tailscale ACL tag (repeatable)', collect, [])
    .option('--connect-timeout <seconds>', 'fail if the agent has not dialed home by then (default 600)')
    .addOption(new Option('--on-failure <policy>', 'what to do with the server when provisioning fails').choices(['destroy', 'keep']))
    .option('--idempotency-key <key>', 'retry-safe key (default: a new one per call)')
    .option('--dry-run', 'print the plan and the exact user-data (token redacted); creates nothing')
    .option('--wait', 'follow the steps live until running (exit 0) or failed (exit 1)')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (the instance keeps going)')
    .action(action<CreateOptions>(async (ctx, _args, opts) => {
      const body = buildBody(opts);
      const client = ctx.client();
      if (opts.dryRun) {
        const plan = await client.planInstance(body);
        if (ctx.json) return ctx.printJson(plan);
        ctx.print(ctx.c.bold(`plan: ${plan.steps.join(' → ')}`));
        for (const [k, v] of Object.entries(plan)) if (!['steps', 'userData', 'dryRun'].includes(k)) ctx.print(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
        ctx.print(ctx.c.dim('--- user-data ---'));
        ctx.print(plan.userData);
        return 0;
      }
      const inst = await client.createInstance(body, { idempotencyKey: opts.idempotencyKey ?? randomUUID() });
      if (!opts.wait) {
        if (ctx.json) return ctx.printJson(inst);
        ctx.print(`${ctx.c.green('✔')} created ${ctx.c.bold(inst.id)} (${inst.name}); follow it with \`hangar events ${inst.id.slice(0, 8)} --follow\``);
        return 0;
      }
      ctx.info(`Creating ${ctx.c.bold(inst.name)} (${inst.id}) on ${inst.provider}…`);
      return waitUntil(ctx, client, inst, ['running', 'failed', 'stopped'], 'running', opts.timeout);
    }));
}

/** Follow `inst` until one of `until`; exit 0 when it reaches `success`, else 1. */
export async function waitUntil(ctx: Context, client: HangarClient, inst: Instance, until: string[], success: string, timeout?: string, after = 0): Promise<number> {
  const outcome = await follow(ctx, client, inst.id, until, timeout, after);
  const final = await client.getInstance(inst.id);
  if (ctx.json) ctx.printJson(final);
  if (outcome === 'reached' && final.status === success) {
    ctx.info(`${ctx.c.green('✔')} ${final.name} is ${final.status}`);
    return 0;
  }
  if (outcome === 'reached') {
    const cleanup = final.failureReason && (final.status === 'stopping' || final.status === 'stopped') ? ` (onFailure=${final.onFailure}: its server is ${final.status === 'stopped' ? 'deleted' : 'being deleted'})` : '';
    ctx.info(ctx.ce.red(final.failureReason ? `✖ ${final.name} failed: ${final.failureReason}${cleanup}` : `✖ ${final.name} is ${final.status}`));
    return 1;
  }
  ctx.info(ctx.ce.yellow(`… stopped waiting (${outcome}); ${final.name} is ${final.status}. Resume with \`hangar events ${final.id.slice(0, 8)} --follow\`.`));
  return outcome === 'interrupted' ? 130 : 1;
}

/** The request body from the flags; bad flags are usage errors (exit 2). */
export function buildBody(opts: CreateOptions): CreateInstanceBody {
  const config: Record<string, unknown> = {};
  if (opts.configFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(opts.configFile, 'utf8'));
    } catch (err) {
      throw new UsageError(`--config-file ${opts.configFile}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--config-file must hold a JSON object');
    Object.assign(config, parsed);
  }
  for (const kv of opts.set) {
    const i = kv.indexOf('=');
    if (i < 1) throw new UsageError(`--set ${kv}: expected key=value`);
    config[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const body: CreateInstanceBody = { provider: opts.provider as CreateInstanceBody['provider'], workload: opts.workload as CreateInstanceBody['workload'], config };
  if (opts.name) body.name = opts.name;
  if (opts.location) body.location = opts.location;
  if (opts.type) body.serverType = opts.type;
  if (opts.image) body.image = opts.image;
  if (opts.tailscale) body.tailscale = true;
  if (opts.tag.length) body.tailscaleTags = opts.tag;
  if (opts.onFailure) body.onFailure = opts.onFailure;
  if (opts.connectTimeout !== undefined) {
    const n = Number(opts.connectTimeout);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--connect-timeout must be a whole number of seconds, got "${opts.connectTimeout}"`);
    body.connectTimeoutSeconds = n;
  }
  return body;
}
