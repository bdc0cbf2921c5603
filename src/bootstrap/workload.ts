import { ValidationError } from '../domain/errors.ts';
import { AGENT_MANAGER_SETTINGS, renderAgentManagerWorkload } from './agent-manager.ts';
import { COMPOSE_SETTINGS, renderComposeWorkload } from './compose-workload.ts';
import { OPENCLAW_SETTINGS, renderOpenclawWorkload } from './openclaw.ts';
import { PROCESS_SETTINGS, PROCESS_USER, renderProcessWorkload } from './process-workload.ts';
import { RUNNER_STACK_SETTINGS, renderRunnerStackWorkload } from './runner-stack.ts';
import { secretValues, splitSettings, type SettingsSchema } from './settings-schema.ts';
import type { WorkloadInput, WorkloadKind, WorkloadPlan } from './types.ts';
import { defaultRandomBytes, generateSecret, type RandomBytes } from './workload-config.ts';

const WORKLOAD_KINDS: readonly WorkloadKind[] = ['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose'];

/** Each workload's settings schema (declared beside its renderer). */
export const WORKLOAD_SETTINGS: Readonly<Record<WorkloadKind, SettingsSchema>> = {
  process: PROCESS_SETTINGS,
  openclaw: OPENCLAW_SETTINGS,
  'agent-manager': AGENT_MANAGER_SETTINGS,
  'runner-stack': RUNNER_STACK_SETTINGS,
  compose: COMPOSE_SETTINGS,
};

/**
 * Divide a request's workload settings into `config` (stored, shown) and `secrets` (sealed,
 * delivered only at enrollment) by the workload's schema; see {@link splitSettings}. An unknown
 * kind keeps every string secret (its validation fails anyway, naming `workload`).
 *
 * @example
 * splitWorkloadConfig('agent-manager', { gitUsername: 'bot', gitToken: 'ghp_x' })
 * // → { config: { gitUsername: 'bot' }, secrets: { gitToken: 'ghp_x' } }
 */
export function splitWorkloadConfig(kind: WorkloadKind, input: Record<string, unknown>): { config: Record<string, unknown>; secrets: Record<string, string> } {
  const schema = Object.hasOwn(WORKLOAD_SETTINGS, kind) ? WORKLOAD_SETTINGS[kind] : { kind, fields: {}, extra: 'rejected' as const };
  return splitSettings(schema, input);
}

export interface RenderWorkloadOptions {
  /** Random source for secrets generated when absent (default: crypto). */
  randomBytes?: RandomBytes;
}

/**
 * Render the plan the agent receives at enrollment for an instance: files (secrets 0600), start
 * and stop argv, health check and smoke test. Pure apart from generating secrets the settings
 * leave out (see {@link completeWorkloadSecrets} to fix those at creation instead). Throws
 * ValidationError naming `config.<field>` on bad settings.
 *
 * @example
 * renderWorkload({ id, serverName, workload: 'agent-manager', workloadConfig: { authenticationType: 'api_key' }, tailscale: true }, { apiKey })
 */
export function renderWorkload(input: WorkloadInput, secrets: Record<string, string>, opts: RenderWorkloadOptions = {}): WorkloadPlan {
  const random = opts.randomBytes ?? defaultRandomBytes;
  if (input.provider === 'local' && input.workload !== 'process') {
    // The local provider's "server" is the operator's own machine: no system services there.
    throw new ValidationError(`the local provider runs only the process workload, not ${input.workload}`, [
      { field: 'workload', message: 'the local provider runs only the process workload (the others install system services)' },
    ]);
  }
  switch (input.workload) {
    case 'process': {
      const plan = renderProcessWorkload(input.workloadConfig, secrets);
      // On a server, the command runs as the `hangar` system user the install script creates, not
      // as root; the local provider's "server" is the operator's machine, where the agent's user runs it.
      return input.provider === 'local' ? plan : { ...plan, process: { ...plan.process!, user: PROCESS_USER } };
    }
    case 'openclaw':
      return renderOpenclawWorkload(input, secrets, random);
    case 'agent-manager':
      return renderAgentManagerWorkload(input, secrets, random);
    case 'runner-stack':
      return renderRunnerStackWorkload(input, secrets, random);
    case 'compose':
      return renderComposeWorkload(input, secrets);
    default:
      throw new ValidationError(`unknown workload ${JSON.stringify(input.workload)}`, [{ field: 'workload', message: `must be one of ${WORKLOAD_KINDS.join(', ')}` }]);
  }
}

/**
 * Check a workload's settings before anything is stored (the API's create and dry run): renders
 * the plan and throws its ValidationError, naming `config.<field>` (or `workload` when the
 * provider cannot run that workload).
 *
 * @example
 * validateWorkloadConfig('compose', { compose: 'services: 3' }, {}) // throws ValidationError [{ field: 'config.compose', … }]
 */
export function validateWorkloadConfig(kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>, provider?: string): void {
  renderWorkload({ id: '00000000-0000-4000-8000-000000000000', serverName: 'hangar-validate-00000000', workload: kind, workloadConfig: config, tailscale: true, provider }, secrets, {
    randomBytes: (n) => Buffer.alloc(n, 1),
  });
}

/**
 * The secrets a workload generates when they are not given, for the engine to generate once at
 * creation (and store sealed, and show the user once) instead of at each render: agent-manager's
 * `apiKey` (api_key auth) and `postgresPassword`, openclaw's `gatewayToken`, runner-stack's
 * `postgresPassword`.
 *
 * @example
 * completeWorkloadSecrets('agent-manager', {}, {}) // → { apiKey: '…', postgresPassword: '…' }
 */
export function completeWorkloadSecrets(kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>, random: RandomBytes = defaultRandomBytes): Record<string, string> {
  const out = { ...secrets };
  const fill = (name: string) => {
    if (!out[name]) out[name] = generateSecret(random);
  };
  if (kind === 'agent-manager') {
    if ((config.authenticationType ?? 'api_key') === 'api_key') fill('apiKey');
    fill('postgresPassword');
  } else if (kind === 'openclaw') {
    fill('gatewayToken');
  } else if (kind === 'runner-stack') {
    fill('postgresPassword');
  }
  return out;
}

/**
 * A copy of a plan fit to show (dry runs, logs): every secret value (map and list values, and
 * the user and password of URL credentials, included) replaced by `[REDACTED]` in file contents
 * and argv.
 *
 * @example
 * redactWorkloadPlan(plan, { apiKey: 'k1…' }).files[1].content.includes('k1…') // → false
 */
export function redactWorkloadPlan(plan: WorkloadPlan, secrets: Record<string, string>): WorkloadPlan {
  const values = secretValues(secrets).sort((a, b) => b.length - a.length);
  const redact = (s: string) => values.reduce((acc, v) => acc.split(v).join('[REDACTED]'), s);
  return {
    ...plan,
    files: plan.files.map((f) => ({ ...f, content: redact(f.content) })),
    start: plan.start.map((a) => a.map(redact)),
    stop: plan.stop.map((a) => a.map(redact)),
    ...(plan.process
      ? {
          process: {
            ...plan.process,
            args: plan.process.args.map(redact),
            ...(plan.process.env ? { env: Object.fromEntries(Object.entries(plan.process.env).map(([k, v]) => [k, redact(v)])) } : {}),
          },
        }
      : {}),
  };
}
