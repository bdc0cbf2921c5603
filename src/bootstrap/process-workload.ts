import { SettingsReader } from './workload-config.ts';
import type { WorkloadPlan } from './types.ts';

/**
 * The `process` workload: a long-running command the agent supervises itself, with an HTTP
 * health check. With no command given it runs the agent's built-in demo service, which is what
 * the embedded default and the tests use. The agent replaces `{port}` with a free port it picks,
 * `{node}` with its Node.js binary and `{agent}` with its own bundle.
 *
 * @example
 * renderProcessWorkload({}).process?.args // → ['{agent}', '--demo-service', '--port', '{port}']
 */
export function renderProcessWorkload(config: { command?: unknown; args?: unknown; port?: unknown; healthPath?: unknown }): WorkloadPlan {
  // Check the settings first (ValidationError naming config.<field>); then build the plan.
  const r = new SettingsReader('process', config as Record<string, unknown>, {});
  r.string('command', { max: 4096 });
  r.stringList('args', { max: 100 });
  r.int('port', { default: 0, min: 0, max: 65_535 });
  r.string('healthPath', { max: 2048, pattern: /^\//, hint: 'must start with /' });
  r.finish();
  const command = typeof config.command === 'string' ? config.command : '{node}';
  const args = Array.isArray(config.args) ? config.args.map(String) : typeof config.command === 'string' ? [] : ['{agent}', '--demo-service', '--port', '{port}'];
  const port = typeof config.port === 'number' ? config.port : 0;
  const healthPath = typeof config.healthPath === 'string' ? config.healthPath : '/healthz';
  return {
    kind: 'process',
    files: [],
    start: [],
    stop: [],
    process: { command, args, port },
    health: { type: 'http', url: `http://127.0.0.1:{port}${healthPath}` },
  };
}
