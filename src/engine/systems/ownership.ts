import { LABEL_INSTALLATION, LABEL_INSTANCE } from '../../domain/names.ts';
import type { InstanceRow } from '../store.ts';

/**
 * The labels that mark a server as this instance's (installation and instance ids): what
 * provisioning finds before it creates, and teardown deletes by.
 *
 * @example
 * provider.findServers({ labels: ownership(row) });
 */
export function ownership(row: Pick<InstanceRow, 'labels'>): Record<string, string> {
  return { [LABEL_INSTALLATION]: row.labels[LABEL_INSTALLATION], [LABEL_INSTANCE]: row.labels[LABEL_INSTANCE] };
}
