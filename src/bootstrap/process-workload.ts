import { ValidationError } from '../domain/errors.ts';
import type { SettingsSchema } from './settings-schema.ts';
import { SettingsReader } from './workload-config.ts';
import type { WorkloadPlan } from './types.ts';

/**
 * The process settings. No field is secret and unknown settings are refused; a command or
 * argument holding a URL with credentials is sealed whole (and shown without them).
 */
export const PROCESS_SETTINGS: SettingsSchema = {
  kind: 'process',
  fields: {
    command: { type: 'string' },
    args: { type: 'list' },
    port: { type: 'int' },
    healthPath: { type: 'string' },
  },
  extra: 'rejected',
};

/** The system user (nologin, created by the install script) that runs `process` workloads on servers. */
export const PROCESS_USER = 'hangar';

/**
 * The `process` workload: a long-running command the agent supervises itself, with an HTTP
 * health check. With no command given it runs the agent's built-in demo service, which is what
 * the embedded default and the tests use. The agent replaces `{port}` with a free port it picks,
 * `{node}` with its Node.js binary and `{agent}` with its own bundle. Values are read secrets
 * first (a sealed command or argument list is the real one).
 *
 * @example
 * renderProcessWorkload({}).process?.args // → ['{agent}', '--demo-service', '--port', '{port}']
 */
export function renderProcessWorkload(config: { command?: unknown; args?: unknown; port?: unknown; healthPath?: unknown }, secrets: Record<string, string> = {}): WorkloadPlan {
  // Check the settings first (ValidationError naming config.<field>); then build the plan.
  const r = new SettingsReader('process', config as Record<string, unknown>, secrets);
  const given = r.string('command', { max: 4096 });
  const list = r.stringList('args', { max: 100 });
  const port = r.int('port', { default: 0, min: 0, max: 65_535 });
  const healthPath = r.string('healthPath', { default: '/healthz', max: 2048, pattern: /^\//, hint: 'must start with /' });
  r.finish();
  const command = given ?? '{node}';
  const args = list ?? (given !== undefined ? [] : ['{agent}', '--demo-service', '--port', '{port}']);
  return {
    kind: 'process',
    files: [],
    start: [],
    stop: [],
    process: { command, args, port },
    health: { type: 'http', url: `http://127.0.0.1:{port}${healthPath}` },
  };
}

/** The setting that lets `local` instances run their own command. */
const LOCAL_COMMANDS_ENV = 'HANGAR_LOCAL_COMMANDS';

/**
 * The `local` provider's "server" is the Hangar host itself, whose user can read the sealing key
 * and the database: there, the process workload runs only the built-in demo service unless the
 * operator allowed commands (`HANGAR_LOCAL_COMMANDS=1`). Throws a ValidationError naming
 * `config.command` / `config.args` when either is given and commands are not allowed.
 *
 * @example
 * checkLocalProcessConfig({}, false)                      // ok: the demo service
 * checkLocalProcessConfig({ command: 'sh' }, false)       // throws, field config.command
 * checkLocalProcessConfig({ command: 'sh' }, true)        // ok: the operator allowed it
 */
export function checkLocalProcessConfig(config: Record<string, unknown>, allowCommands: boolean): void {
  if (allowCommands) return;
  const given = (['command', 'args'] as const).filter((k) => config[k] !== undefined && config[k] !== null);
  if (!given.length) return;
  const why = `the local provider runs processes on the Hangar host itself, so it runs only the built-in demo service; set ${LOCAL_COMMANDS_ENV}=1 on the server to allow a command`;
  throw new ValidationError(`config.${given.join(' and config.')} refused: ${why}`, given.map((k) => ({ field: `config.${k}`, message: why })));
}
