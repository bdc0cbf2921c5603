/**
 * The values the CLI accepts for enumerated flags, checked before any request (a wrong one is a
 * usage error, exit 2, naming the flag). Each list is tied to the API contract's types, so a
 * value the contract adds or drops fails the type check here instead of drifting; statuses are
 * the lifecycle of src/domain/.
 *
 * @example
 * new Option('-p, --provider <name>').choices(PROVIDERS) // commander refuses `--provider aws`
 */
import { InvalidArgumentError } from 'commander';
import type { Lifecycle, ProviderName, WorkloadKind } from '../api/contract/types.ts';
import { LIFECYCLE } from '../domain/lifecycle.ts';

/** Every key of a record that must name each member of `T` once (and nothing else). */
const keysOf = <T extends string>(all: Record<T, true>): T[] => Object.keys(all) as T[];

/** `--provider` (the contract's `ProviderName`). */
export const PROVIDERS: readonly ProviderName[] = keysOf<ProviderName>({ local: true, hetzner: true, 'digital-ocean': true, ssh: true });

/** `--workload` (the contract's `WorkloadKind`). */
export const WORKLOADS: readonly WorkloadKind[] = keysOf<WorkloadKind>({ process: true, openclaw: true, 'agent-manager': true, 'runner-stack': true, compose: true });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
void (true satisfies Same<Lifecycle, (typeof LIFECYCLE)[number]>);

/** `--status` (the lifecycle; the contract's `Instance.status`). */
export const STATUSES: readonly Lifecycle[] = LIFECYCLE;

/**
 * commander's parser for `--status a,b`: each one a lifecycle status, else an
 * InvalidArgumentError naming the bad ones (commander prints it with the flag; exit 2).
 *
 * @example
 * parseStatuses('running,failed') // → 'running,failed'
 * parseStatuses('bogus')          // throws: unknown status bogus; one or more of pending, …
 */
export function parseStatuses(value: string): string {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((s) => !(STATUSES as readonly string[]).includes(s));
  if (!list.length || bad.length) throw new InvalidArgumentError(`${bad.length ? `unknown status ${bad.join(', ')}` : 'no status given'}; one or more of ${STATUSES.join(', ')}, comma-separated.`);
  return list.join(',');
}
