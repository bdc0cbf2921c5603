import { stringify } from 'yaml';
import { renderProcessWorkload } from './bootstrap/process-workload.ts';
import { BOOTSTRAP_PATH, type BootstrapInput, type WorkloadPlan } from './bootstrap/types.ts';
import type { InstanceRow } from './engine/store.ts';

/** Wires the pure bootstrap renderers into the engine. */
export function defaultRenderers() {
  return {
    bootstrapVersion: 'dev',
    userData(input: BootstrapInput): string {
      return `#cloud-config\n${stringify({ write_files: [{ path: BOOTSTRAP_PATH, permissions: '0600', content: JSON.stringify(input.bootstrap) }] })}`;
    },
    workload(row: InstanceRow, _secrets: Record<string, string>): WorkloadPlan {
      return renderProcessWorkload(row.workloadConfig);
    },
  };
}
