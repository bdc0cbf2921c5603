/**
 * When the `local` provider is offered, and what it may run. Its "servers" are processes on the
 * Hangar host, whose user can read the sealing key and the database, so it is a demo and test
 * provider: on by default only while no cloud is configured (the embedded `npm start`), and
 * running only the built-in demo workload unless the operator allows commands.
 *
 * | setting | env | default |
 * |---|---|---|
 * | offered | `HANGAR_LOCAL_PROVIDER` = `1` / `0` / `auto` | `auto`: on only while no cloud (Hetzner, DigitalOcean; env or stored credentials, or injected) is configured at start |
 * | own commands | `HANGAR_LOCAL_COMMANDS` = `1` | off: `config.command` / `config.args` on `local` are refused (400) |
 *
 * Registered SSH hosts and a tailnet do not count as a cloud: they leave `auto` on.
 *
 * @example
 * const d = localProviderDecision('auto', ['hetzner']); // → { enabled: false, hint: 'set HANGAR_LOCAL_PROVIDER=1 …' }
 */
import { checkLocalProcessConfig } from '../bootstrap/process-workload.ts';
import type { WorkloadKind, WorkloadPlan } from '../bootstrap/types.ts';

const LOCAL_PROVIDER_ENV = 'HANGAR_LOCAL_PROVIDER';

/** Providers whose presence turns `auto` off. */
const CLOUD_PROVIDERS: readonly string[] = ['hetzner', 'digital-ocean'];

export interface LocalDecision {
  enabled: boolean;
  /** When off: why, and how to turn it on (for the 400 naming `provider` and the start-up log). */
  hint: string | null;
}

/**
 * Whether to offer the `local` provider, from the setting and the providers configured at start.
 *
 * @example
 * localProviderDecision('auto', [])          // → { enabled: true, hint: null }
 * localProviderDecision('auto', ['hetzner']) // → { enabled: false, hint: '…HANGAR_LOCAL_PROVIDER=1…' }
 * localProviderDecision('off', [])           // → { enabled: false, hint: '…' }
 */
export function localProviderDecision(setting: 'auto' | 'on' | 'off', configured: readonly string[]): LocalDecision {
  if (setting === 'on') return { enabled: true, hint: null };
  if (setting === 'off') return { enabled: false, hint: `the local provider (processes on the Hangar host) is off: ${LOCAL_PROVIDER_ENV}=0; set ${LOCAL_PROVIDER_ENV}=1 on the server to enable it` };
  const clouds = configured.filter((n) => CLOUD_PROVIDERS.includes(n));
  if (!clouds.length) return { enabled: true, hint: null };
  return {
    enabled: false,
    hint: `the local provider (processes on the Hangar host, for demos and tests) is off because a cloud provider is configured (${[...new Set(clouds)].join(', ')}); set ${LOCAL_PROVIDER_ENV}=1 on the server to enable it`,
  };
}

type Validate = (kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>, provider?: string) => void;
type Render<R> = (row: R, secrets: Record<string, string>) => WorkloadPlan;

/**
 * Wrap the engine's workload validation (creation, dry runs) and rendering (enrollment) so a
 * `local` instance gets only the demo service unless `allowCommands` (HANGAR_LOCAL_COMMANDS).
 * Rendering checks again: an instance created while commands were allowed gets no command after
 * they are not.
 *
 * @example
 * const guard = localWorkloadGuard(config.localCommands);
 * new Engine({ …, validateWorkload: guard.validate(renderers.validateWorkload), renderWorkload: guard.render(renderers.workload) });
 */
export function localWorkloadGuard(allowCommands: boolean) {
  return {
    validate(inner: Validate): Validate {
      return (kind, config, secrets, provider) => {
        inner(kind, config, secrets, provider);
        if (provider === 'local' && kind === 'process') checkLocalProcessConfig(config, allowCommands);
      };
    },
    render<R extends { provider?: string; workload: string; workloadConfig: Record<string, unknown> }>(inner: Render<R>): Render<R> {
      return (row, secrets) => {
        if (row.provider === 'local' && row.workload === 'process') checkLocalProcessConfig(row.workloadConfig ?? {}, allowCommands);
        return inner(row, secrets);
      };
    },
  };
}
