import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ApiError, NetworkError, problemOf, type Problem } from '../api/contract/index.ts';
import { registerAgent } from './commands/agent.ts';
import { registerAudit } from './commands/audit.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerBudget } from './commands/budget.ts';
import { registerCreate } from './commands/create.ts';
import { registerEvents } from './commands/events.ts';
import { registerGet } from './commands/get.ts';
import { registerInventory } from './commands/inventory.ts';
import { registerLogin } from './commands/login.ts';
import { registerLs } from './commands/ls.ts';
import { registerOpen } from './commands/open.ts';
import { registerOps } from './commands/ops.ts';
import { registerProviders } from './commands/providers.ts';
import { registerReach } from './commands/reach.ts';
import { registerHosts } from './commands/hosts.ts';
import { registerPools } from './commands/pools.ts';
import { registerReconcile } from './commands/reconcile.ts';
import { registerRm } from './commands/rm.ts';
import { registerLifetimes } from './commands/lifetimes.ts';
import { registerSnapshot } from './commands/snapshot.ts';
import { registerTenancy } from './commands/tenancy.ts';
import { registerWebhook } from './commands/webhook.ts';
import { Context, type CommonOptions, type Io } from './context.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { problemLines } from './output.ts';

/** Wraps a command body: builds its {@link Context}, and records the exit code it returns. */
export type Action = <O extends CommonOptions = CommonOptions>(fn: (ctx: Context, args: string[], opts: O) => Promise<number | void> | number | void) => (...raw: unknown[]) => Promise<void>;

const version = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** Add `--url`, `--api-key` and `--json` to a command. */
export function common(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'Hangar server URL (env HANGAR_URL; default http://127.0.0.1:7070)'))
    .addOption(new Option('--api-key <key>', 'API key (env HANGAR_API_KEY; or `hangar login`)'))
    .addOption(new Option('--project <name>', 'project to act in (env HANGAR_PROJECT; default: the key\'s own, or "default" for an admin key)'))
    .option('--json', 'print machine-readable JSON only (on stdout; progress and errors go to stderr)')
    .option('-q, --quiet', 'no progress or notes on stderr: only the result and errors');
}

/**
 * Run the CLI with `argv` (without node and script), returning the exit code:
 * 0 success, 1 failure, 2 usage error (including commander's own), 124 `--timeout` passed,
 * 130 interrupted (see {@link EXIT}).
 */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let code = 0;
  let ctx: Context | null = null;
  const action: Action = (fn) => async (...raw) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.optsWithGlobals();
    ctx = new Context(io, opts);
    const r = await fn(ctx, raw.slice(0, -2) as string[], opts as never);
    if (typeof r === 'number') code = r;
  };

  const program = new Command('hangar')
    .description('Drive a Hangar control plane: create, watch, list and delete agent servers.')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Settings: --url/--api-key > HANGAR_URL/HANGAR_API_KEY > config file (hangar login) > http://127.0.0.1:7070.
Exit codes: 0 success, 1 failure, 2 usage error, 124 --wait --timeout passed, 130 interrupted.
Colours only on a terminal and never with NO_COLOR set.`,
    );
  const commands = [registerLogin, registerCreate, registerLs, registerGet, registerEvents, registerRm, registerLifetimes, registerProviders, registerReconcile, registerHosts, registerSnapshot, registerOps, registerAgent, registerReach, registerTenancy, registerAudit, registerInventory, registerOpen, registerCompletion, registerPools, registerBudget, registerWebhook];
  for (const register of commands) register(program, action);
  for (const cmd of program.commands) common(cmd);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return report(err, ctx, io);
  }
}

/**
 * When a 400's fields all come from the command's flags (`ctx.fieldFlags`; `config.port` counts
 * as `config`), the flag of each: the answer is then a usage error, exit 2, as the CLI's own
 * checks are. Otherwise null.
 *
 * @example
 * flagsOf(400, { errors: [{ field: 'serverType', message: '…' }] }, { serverType: '--type' }) // → { serverType: '--type' }
 */
export function flagsOf(status: number, problem: Pick<Problem, 'errors'>, fieldFlags: Readonly<Record<string, string>>): Record<string, string> | null {
  const errors = problem.errors ?? [];
  if (status !== 400 || !errors.length) return null;
  const flags: Record<string, string> = {};
  for (const { field } of errors) {
    const flag = fieldFlags[field] ?? fieldFlags[field.split(/[.[]/)[0]];
    if (!flag) return null;
    flags[field] = flag;
  }
  return flags;
}

/** Print a failure the way the CLI promises and return its exit code. */
function report(err: unknown, ctx: Context | null, io: Io): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander printed it already
  const json = (ctx as Context | null)?.json ?? false;
  const ce = (ctx as Context | null)?.ce;
  const red = (s: string) => (ce ? ce.red(s) : s);
  const write = (lines: string[]) => io.stderr.write(`${lines.join('\n')}\n`);
  if (err instanceof ApiError) {
    const problem = err.problem ?? problemOf(err.status, err.message, null);
    const flags = flagsOf(err.status, problem, ctx?.fieldFlags ?? {});
    if (json) write([JSON.stringify({ error: problem })]);
    else {
      const [first, ...rest] = problemLines(problem, flags ?? {});
      write([red(first), ...rest]);
      if (err.status === 401) write(['  (check --api-key / HANGAR_API_KEY, or run `hangar login`)']);
      if (flags?.provider) write(['(see `hangar providers` for the providers this server offers and how to enable the others)']);
      else if (flags) write(['(add --help for usage)']);
    }
    return flags ? 2 : 1;
  }
  if (err instanceof NetworkError) {
    const msg = `cannot reach Hangar at ${err.url} (${err.causeText})`;
    const hint = 'Is the server running? Start it with `npm start`, or point --url / HANGAR_URL at it.';
    if (json) write([JSON.stringify({ error: { detail: msg, hint, url: err.url } })]);
    else write([red(`error: ${msg}`), hint]);
    return 1;
  }
  const usage = err instanceof UsageError;
  const message = err instanceof Error ? err.message : String(err);
  if (json) write([JSON.stringify({ error: { detail: message } })]);
  else {
    write([red(`error: ${message}`)]);
    if (usage) write(['(add --help for usage)']);
    if (!(err instanceof CliError) && io.env.HANGAR_DEBUG && err instanceof Error && err.stack) write([err.stack]);
  }
  return err instanceof CliError ? err.exitCode : 1;
}
