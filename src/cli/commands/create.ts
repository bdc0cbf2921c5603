import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { CreateInstanceBody, Instance } from '../../api/contract/types.ts';
import { parseDuration } from '../../domain/lifetimes.ts';
import { PROVIDERS, WORKLOADS } from '../choices.ts';
import type { HangarClient } from '../client.ts';
import type { Context, CommonOptions } from '../context.ts';
import { EXIT, parseTimeout, UsageError } from '../errors.ts';
import type { Action } from '../program.ts';
import { applySettings } from '../set-values.ts';
import { follow } from './follow.ts';

interface CreateOptions extends CommonOptions {
  provider: string;
  name?: string;
  location?: string;
  type?: string;
  image?: string;
  workload?: string;
  set: string[];
  setString: string[];
  configFile?: string;
  tailscale?: boolean;
  tag: string[];
  connectTimeout?: string;
  ttl?: string;
  idleStop?: string;
  onFailure?: 'destroy' | 'keep';
  idempotencyKey?: string;
  dryRun?: boolean;
  wait?: boolean;
  timeout?: string;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** The body's fields as flags: a 400 naming one of them is a usage error (exit 2). */
export const CREATE_FIELD_FLAGS: Readonly<Record<string, string>> = {
  provider: '--provider',
  name: '--name',
  location: '--location',
  serverType: '--type',
  image: '--image',
  workload: '--workload',
  config: '--set',
  tailscale: '--tailscale',
  tailscaleTags: '--tag',
  connectTimeoutSeconds: '--connect-timeout',
  onFailure: '--on-failure',
  ttl: '--ttl',
  idleStop: '--idle-stop',
};

const EXAMPLES = `
Workload settings: --set key=value types the value: true/false → boolean, an integer → number,
[…] or {…} → that JSON, anything else → text; --set-string key=value always sends text.
--config-file FILE gives them all as a JSON object (--set and --set-string override it).

Examples:
  hangar create -p local --wait
  hangar create -p local --set exec=true --set port=8080 --wait
  hangar create -p hetzner -l fsn1 -w openclaw --set port=18789 --set-string gatewayToken=123456 --dry-run`;

/** `hangar create`: ask for an instance; with --wait, show each step until it runs or fails. */
export function registerCreate(program: Command, action: Action): void {
  program
    .command('create')
    .description('create an instance (an agent server) and, with --wait, follow it to running')
    .addOption(new Option('-p, --provider <name>', 'where the server runs (see `hangar providers`)').choices(PROVIDERS).makeOptionMandatory())
    .option('-n, --name <name>', 'display name (default: <workload>-<first 8 hex of the id>, e.g. process-5aa2f4bc)')
    .option('-l, --location <location>', 'location / region (see `hangar providers PROVIDER`); a,b,c: fall back in order when the cloud has no capacity')
    .option('-t, --type <serverType>', 'server type / size; a,b: fall back in order (each type at each location)')
    .option('--image <image>', 'image name or snapshot id')
    .addOption(new Option('-w, --workload <kind>', 'what the server runs').choices(WORKLOADS).default('process'))
    .option('-s, --set <key=value>', 'workload setting, typed (repeatable): true/false, integers and […]/{…} JSON as such, else text; keys ending in key/token/password/secret are stored sealed', collect, [])
    .option('--set-string <key=value>', 'workload setting sent as text whatever it looks like (repeatable)', collect, [])
    .option('--config-file <path>', 'workload settings as a JSON object')
    .option('--tailscale', 'join the instance to the tailnet')
    .option('--tag <tag:name>', 'Tailscale ACL tag (repeatable)', collect, [])
    .option('--connect-timeout <seconds>', 'fail if the agent has not dialed home by then (default 600)')
    .option('--ttl <duration>', 'destroy the instance this long after creation: 8h, 30m, 1h30m, 2d (default: HANGAR_DEFAULT_TTL; 0: never)')
    .option('--idle-stop <duration>', 'stop (hibernate) it after this long without workload activity (default: HANGAR_DEFAULT_IDLE_STOP; 0: never)')
    .addOption(new Option('--on-failure <policy>', 'what to do with the server when provisioning fails').choices(['destroy', 'keep']))
    .option('--idempotency-key <key>', 'retry-safe key: the same key and flags give the same instance, not a second one (env HANGAR_IDEMPOTENCY_KEY; default: a new one per call)')
    .option('--dry-run', 'print the plan and the exact user-data (token redacted); creates nothing')
    .option('--wait', 'follow the steps (on stderr) until running (exit 0) or failed (exit 1)')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long, exit 124 (the instance keeps going)')
    .addHelpText('after', EXAMPLES)
    .action(action<CreateOptions>(async (ctx, _args, opts) => {
      ctx.fieldFlags = CREATE_FIELD_FLAGS;
      const body = buildBody(opts);
      parseTimeout(opts.timeout);
      const idempotencyKey = idempotencyKeyOf(opts.idempotencyKey, ctx.io.env);
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
      const inst = await client.createInstance(body, { idempotencyKey });
      if (!opts.wait) {
        if (ctx.json) return ctx.printJson(inst);
        ctx.print(`${ctx.c.green('✔')} created ${ctx.c.bold(inst.id)} (${inst.name}); follow it with \`hangar events ${inst.id.slice(0, 8)} --follow\``);
        return 0;
      }
      ctx.info(`Creating ${ctx.c.bold(inst.name)} (${inst.id}) on ${inst.provider}…`);
      return waitUntil(ctx, client, inst, ['running', 'failed', 'stopped'], 'running', opts.timeout);
    }));
}

/**
 * The `Idempotency-Key` of a create: `--idempotency-key`, else HANGAR_IDEMPOTENCY_KEY (a CI job
 * sets it once, e.g. to its run id, so a retried step adopts the instance instead of making a
 * second), else a new one. Printable ASCII up to 200 characters, as the API takes it.
 *
 * @example
 * idempotencyKeyOf(undefined, { HANGAR_IDEMPOTENCY_KEY: 'gh-1234-1' }) // → 'gh-1234-1'
 */
export function idempotencyKeyOf(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const key = flag ?? (env.HANGAR_IDEMPOTENCY_KEY || undefined);
  if (key === undefined) return randomUUID();
  const from = flag !== undefined ? '--idempotency-key' : 'HANGAR_IDEMPOTENCY_KEY';
  if (!key.length || key.length > 200 || !/^[\x20-\x7e]*$/.test(key)) throw new UsageError(`${from} must be 1-200 printable ASCII characters`);
  return key;
}

/** Follow `inst` until one of `until`; exit 0 when it reaches `success`, 1 when not, 124 on --timeout, 130 on Ctrl+C. */
export async function waitUntil(ctx: Context, client: HangarClient, inst: Instance, until: string[], success: string, timeout?: string, after = 0): Promise<number> {
  const outcome = await follow(ctx, client, inst.id, until, timeout, after);
  const final = await client.getInstance(inst.id);
  if (ctx.json) ctx.printJson(final);
  if (outcome === 'reached' && final.status === success) {
    ctx.info(`${ctx.c.green('✔')} ${final.name} is ${final.status}`);
    return EXIT.ok;
  }
  if (outcome === 'reached') {
    const cleanup = final.failureReason && (final.status === 'stopping' || final.status === 'stopped') ? ` (onFailure=${final.onFailure}: its server is ${final.status === 'stopped' ? 'deleted' : 'being deleted'})` : '';
    ctx.info(ctx.ce.red(final.failureReason ? `✖ ${final.name} failed: ${final.failureReason}${cleanup}` : `✖ ${final.name} is ${final.status}`));
    return 1;
  }
  ctx.info(ctx.ce.yellow(`… stopped waiting (${outcome}); ${final.name} is ${final.status}. Resume with \`hangar events ${final.id.slice(0, 8)} --follow\`.`));
  return outcome === 'interrupted' ? EXIT.interrupted : EXIT.timeout;
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
  applySettings(config, opts.set, opts.setString ?? []);
  const body: CreateInstanceBody = { provider: opts.provider as CreateInstanceBody['provider'], workload: opts.workload as CreateInstanceBody['workload'], config };
  if (opts.name) body.name = opts.name;
  // `--type cpx22,cx32 --location nbg1,fsn1`: ordered lists the create falls back through on capacity errors.
  if (opts.location) body.location = commaList(opts.location);
  if (opts.type) body.serverType = commaList(opts.type);
  if (opts.image) body.image = opts.image;
  if (opts.tailscale) body.tailscale = true;
  if (opts.tag.length) body.tailscaleTags = opts.tag;
  if (opts.onFailure) body.onFailure = opts.onFailure;
  for (const [flag, value, field] of [['--ttl', opts.ttl, 'ttl'], ['--idle-stop', opts.idleStop, 'idleStop']] as const) {
    if (value === undefined) continue;
    if (parseDuration(value) === null) throw new UsageError(`${flag} must be a duration like 8h, 30m, 1h30m or 2d, got "${value}"`);
    body[field] = value;
  }
  if (opts.connectTimeout !== undefined) {
    const n = Number(opts.connectTimeout);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--connect-timeout must be a whole number of seconds, got "${opts.connectTimeout}"`);
    body.connectTimeoutSeconds = n;
  }
  return body;
}

/**
 * One value, or an ordered list when it holds commas.
 *
 * @example
 * commaList('nbg1') // → 'nbg1'
 * commaList('nbg1, fsn1') // → ['nbg1', 'fsn1']
 */
export function commaList(v: string): string | string[] {
  const parts = v.split(',').map((x) => x.trim()).filter(Boolean);
  return parts.length > 1 ? parts : (parts[0] ?? v);
}
