import type { Command } from 'commander';
import type { DoctorReport, InstanceStatus, LogUnit } from '../../api/contract/types.ts';
import { HangarClient } from '../client.ts';
import { MISSING_KEY } from '../config.ts';
import type { CommonOptions, Context } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { details, formatAge, type Colors } from '../output.ts';
import type { Action } from '../program.ts';
import { resolveId } from './resolve.ts';

/** A client whose requests may wait as long as the agent's command (smoke up to 5 minutes). */
function longClient(ctx: Context, timeoutMs: number): HangarClient {
  const s = ctx.settings();
  if (!s.apiKey) throw new CliError(MISSING_KEY);
  return new HangarClient({ url: s.url, apiKey: s.apiKey, timeoutMs });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `hangar status|doctor|logs|smoke|restart|exec ID`: operate an instance's agent. */
export function registerOps(program: Command, action: Action): void {
  program
    .command('status')
    .description("an instance's lifecycle, connection, heartbeat and versions, and its agent's own report")
    .argument('<id>', 'instance id, unique id prefix, or name')
    .action(action(async (ctx, [ref]) => {
      const client = longClient(ctx, 30_000);
      const s = await client.instanceStatus(await resolveId(client, ref));
      if (ctx.json) return ctx.printJson(s);
      ctx.print(statusDetails(s, ctx.c));
    }));

  program
    .command('doctor')
    .description('run the agent’s checks (disk, memory, clock, Docker, Tailscale, firewall, workload, secret file permissions); exit 1 if any fail')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .action(action(async (ctx, [ref]) => {
      const client = longClient(ctx, 90_000);
      const report = await client.doctor(await resolveId(client, ref));
      if (ctx.json) ctx.printJson(report);
      else ctx.print(doctorTable(report, ctx.c));
      return report.checks.some((c) => c.status === 'fail') ? 1 : 0;
    }));

  program
    .command('logs')
    .description("the last lines of the agent's, the bootstrap's or the workload's log; --follow polls every 2 s")
    .argument('<id>', 'instance id, unique id prefix, or name')
    .option('-u, --unit <unit>', 'agent, bootstrap or workload', 'agent')
    .option('-n, --lines <n>', 'how many lines', '100')
    .option('-f, --follow', 'keep printing new lines until Ctrl+C')
    .addHelpText(
      'after',
      `
Units: agent (the agent's own trouble: lost hub connections, updates, shutdown; empty on a
healthy instance), bootstrap (install, enrollment, tailnet join) and workload (the workload's
output). Ask for one with -u, e.g. \`hangar logs ID -u workload\`; when the unit asked for has no
lines, the CLI says on stderr which of the others have some.`,
    )
    .action(action<CommonOptions & { unit: string; lines: string; follow?: boolean }>(async (ctx, [ref], opts) => {
      if (!(LOG_UNITS as readonly string[]).includes(opts.unit)) throw new UsageError(`--unit must be agent, bootstrap or workload (got "${opts.unit}")`);
      const lines = Number(opts.lines);
      if (!Number.isInteger(lines) || lines < 1 || lines > 5000) throw new UsageError('--lines must be an integer from 1 to 5000');
      const client = longClient(ctx, 30_000);
      const id = await resolveId(client, ref);
      const unit = opts.unit as LogUnit;
      const show = (l: string) => (ctx.json ? ctx.printJsonLine({ unit, line: l }) : ctx.print(l));
      const first = await client.logs(id, { unit, lines });
      if (!first.lines.length && !ctx.json) ctx.info(ctx.ce.dim(await emptyUnitHint(client, id, ref, unit)));
      if (!opts.follow) {
        if (ctx.json) return ctx.printJson(first);
        first.lines.forEach(show);
        return 0;
      }
      first.lines.forEach(show);
      let seen = first.lines;
      let stop = false;
      const onSigint = () => (stop = true);
      process.once('SIGINT', onSigint);
      try {
        while (!stop) {
          await sleep(2000);
          if (stop) break;
          const next = (await client.logs(id, { unit, lines: 1000 })).lines;
          const fresh = newLines(seen, next);
          fresh.forEach(show);
          seen = next;
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      return 0;
    }));

  program
    .command('smoke')
    .description("run the workload's smoke test (or its health check once); exit 1 if it fails")
    .argument('<id>', 'instance id, unique id prefix, or name')
    .action(action(async (ctx, [ref]) => {
      const client = longClient(ctx, 330_000);
      const r = await client.smoke(await resolveId(client, ref));
      if (ctx.json) ctx.printJson(r);
      else ctx.print(`${r.result === 'pass' ? ctx.c.green('✔ smoke passed') : ctx.c.red('✖ smoke failed')} (${r.kind === 'smoke' ? 'smoke test' : 'health check'}, ${r.durationMs} ms): ${r.detail}`);
      return r.result === 'pass' ? 0 : 1;
    }));

  program
    .command('restart')
    .description('restart the workload (or the agent) and wait until it is healthy')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .option('--target <target>', 'workload or agent', 'workload')
    .option('--timeout <seconds>', 'how long to wait for healthy', '60')
    .action(action<CommonOptions & { target: string; timeout: string }>(async (ctx, [ref], opts) => {
      if (opts.target !== 'workload' && opts.target !== 'agent') throw new UsageError(`--target must be workload or agent (got "${opts.target}")`);
      const timeoutSeconds = Number(opts.timeout);
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 600) throw new UsageError('--timeout must be an integer from 1 to 600');
      const client = longClient(ctx, (timeoutSeconds + 30) * 1000);
      const r = await client.restart(await resolveId(client, ref), { target: opts.target, timeoutSeconds });
      if (ctx.json) return ctx.printJson(r);
      const health = r.healthy === undefined ? '' : r.healthy ? ctx.c.green(', healthy') : ctx.c.red(', not healthy');
      const ms = r.durationMs ?? r.waitedMs;
      const how = r.restarted === 'agent' && r.reconnected ? ' (by its supervisor; reconnected)' : r.detail ? ` (${r.detail})` : '';
      ctx.print(`${ctx.c.green('✔')} ${r.restarted} restarted${health}${ms !== undefined ? ` in ${ms} ms` : ''}${how}`);
      if (r.note) ctx.print(ctx.c.yellow(`  note: ${r.note}`));
    }));

  program
    .command('exec')
    .description('run a command on the server (argv, no shell; only on instances created with config {"exec": true}); exits with its exit code')
    .argument('<id>', 'instance id, unique id prefix, or name')
    .argument('<argv...>', 'the command and its arguments (put -- before options meant for it)')
    .option('--timeout <seconds>', 'kill the command after this long', '30')
    .action(action<CommonOptions & { timeout: string }>(async (ctx, raw, opts) => {
      const [ref, argv] = raw as unknown as [string, string[]];
      const timeoutSeconds = Number(opts.timeout);
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 600) throw new UsageError('--timeout must be an integer from 1 to 600');
      const client = longClient(ctx, (timeoutSeconds + 30) * 1000);
      const r = await client.exec(await resolveId(client, ref), { argv, timeoutSeconds });
      if (ctx.json) ctx.printJson(r);
      else {
        if (r.stdout) ctx.io.stdout.write(r.stdout);
        if (r.stderr) ctx.io.stderr.write(r.stderr);
        if (r.timedOut) ctx.io.stderr.write(`${ctx.ce.red(`timed out after ${timeoutSeconds}s`)}\n`);
      }
      return r.timedOut ? 124 : (r.exitCode ?? 1);
    }));
}

const LOG_UNITS = ['agent', 'bootstrap', 'workload'] as const satisfies readonly LogUnit[];

/**
 * What `hangar logs` says (on stderr) when the unit asked for has no lines: which units there
 * are, and the command for each of the others, marked by whether it has lines (asked of the
 * agent; when that fails, unmarked).
 *
 * @example
 * await emptyUnitHint(client, id, 'web-1', 'agent')
 * // → 'no lines in the agent log yet; units: agent, bootstrap, workload. Ask for another with -u:\n  hangar logs web-1 -u bootstrap   (has lines)\n…'
 */
export async function emptyUnitHint(client: Pick<HangarClient, 'logs'>, id: string, ref: string, unit: LogUnit): Promise<string> {
  const others = LOG_UNITS.filter((u) => u !== unit);
  const has = await Promise.all(others.map((u) => client.logs(id, { unit: u, lines: 1 }).then((r) => r.lines.length > 0, () => null)));
  return logsHint(ref, unit, others.map((u, i) => ({ unit: u, hasLines: has[i] })));
}

/**
 * The text of {@link emptyUnitHint}, from what is known about the other units.
 *
 * @example
 * logsHint('web-1', 'agent', [{ unit: 'workload', hasLines: true }])
 * // → 'no lines in the agent log yet; units: agent, bootstrap, workload. Ask for another with -u:\n  hangar logs web-1 -u workload   (has lines)'
 */
export function logsHint(ref: string, unit: LogUnit, others: { unit: LogUnit; hasLines: boolean | null }[]): string {
  const arg = /^[\w@%+=:,./-]+$/.test(ref) ? ref : `'${ref.replace(/'/g, `'\\''`)}'`;
  const rows = others.map((o) => {
    const cmd = `hangar logs ${arg} -u ${o.unit}`;
    return `  ${o.hasLines === null ? cmd : `${cmd.padEnd(arg.length + 25)} (${o.hasLines ? 'has lines' : 'empty too'})`}`;
  });
  return [`no lines in the ${unit} log yet; units: ${LOG_UNITS.join(', ')}. Ask for another with -u:`, ...rows].join('\n');
}

/** Lines of `next` after the longest overlap with the end of `seen` (log tails by polling). */
export function newLines(seen: string[], next: string[]): string[] {
  if (!seen.length) return next;
  for (let k = Math.min(seen.length, next.length); k > 0; k--) {
    let match = true;
    for (let i = 0; i < k && match; i++) match = seen[seen.length - k + i] === next[i];
    if (match) return next.slice(k);
  }
  return next;
}

const MARK = { pass: '✔', warn: '⚠', fail: '✖' } as const;

/** Doctor checks as a table with ✔/⚠/✖, hints under failing and warning rows. */
export function doctorTable(r: DoctorReport, c: Colors): string {
  const color = { pass: c.green, warn: c.yellow, fail: c.red };
  const width = Math.max(...r.checks.map((x) => x.name.length));
  const lines: string[] = [];
  for (const x of r.checks) {
    lines.push(`${color[x.status](MARK[x.status])} ${x.name.padEnd(width)}  ${x.detail}`);
    if (x.hint && x.status !== 'pass') lines.push(`  ${' '.repeat(width)}  ${c.dim(`→ ${x.hint}`)}`);
  }
  const n = (s: string) => r.checks.filter((x) => x.status === s).length;
  lines.push('', `${color[r.status](MARK[r.status])} ${n('pass')} passed, ${n('warn')} warnings, ${n('fail')} failed`);
  return lines.join('\n');
}

export function statusDetails(s: InstanceStatus, c: Colors, now = Date.now()): string {
  const a = s.agent;
  const health = (h: boolean | null) => (h === null ? 'unknown' : h ? c.green('healthy') : c.red('unhealthy'));
  return details(
    [
      ['id', c.bold(s.id)],
      ['name', s.name],
      ['status', `${s.status}${s.step && s.status === 'provisioning' ? ` (${s.step})` : ''}`],
      ['connection', s.connection === 'connected' ? c.green(s.connection) : c.yellow(s.connection)],
      ['heartbeat', s.lastHeartbeatAt ? `${formatAge(s.lastHeartbeatAt, now)} ago` : null],
      ['agent', a ? `v${a.version} pid ${a.pid} on ${a.hostname}, up ${formatAge(new Date(now - a.uptimeSeconds * 1000), now)}` : s.agentVersion ? `v${s.agentVersion} (${c.yellow(s.agentError ?? 'not reachable')})` : c.yellow(s.agentError ?? 'not reachable')],
      ['workload', a ? `${a.workload.kind} ${health(a.workload.healthy)}${a.workload.detail ? ` (${a.workload.detail})` : ''}${a.workload.pid ? `, pid ${a.workload.pid}` : ''}` : health(s.workloadHealthy)],
      ['hub', a ? `${a.connection.hubUrl}${a.connection.since ? `, connected ${formatAge(a.connection.since, now)} ago` : ''}${a.connection.reconnects ? `, ${a.connection.reconnects} reconnects` : ''}` : null],
      ['tailnet', a?.tailnetName ?? s.tailnetName],
      ['runtime', a ? `node ${a.node} ${a.platform}` : null],
      ['exec', s.execEnabled ? c.yellow('enabled') : 'disabled'],
      ['last smoke', s.lastSmoke ? `${s.lastSmoke.result === 'pass' ? c.green('passed') : c.red('failed')} at ${s.lastSmoke.at.replace(/\.\d+Z$/, 'Z')}${s.lastSmoke.detail ? ` (${s.lastSmoke.detail})` : ''}` : null],
    ],
    c,
  );
}
