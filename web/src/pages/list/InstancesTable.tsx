import { ConnectionBadge, StatusBadge } from '../../components/Badge.tsx';
import { formatAge, PROVIDER_LABELS, STEP_LABELS } from '../../format.ts';
import { shownStatus } from '../../outcome.ts';
import { href } from '../../router.ts';
import type { Instance } from '../../types.ts';

/** Failed (torn down or not), with a reason to show. */
const failed = (i: Instance): i is Instance & { failureReason: string } => shownStatus(i) === 'failed' && Boolean(i.failureReason);

/** The instances as a table (cards on a phone): name, provider, location, type, status, connection, step, age, price. */
export function InstancesTable({ items, now, price }: { items: Instance[]; now: number; price: (i: Instance) => string }) {
  return (
    <div className="table-wrap">
      <table className="table table-cards" data-testid="instances-table">
        <caption className="sr-only">Instances</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Provider</th>
            <th scope="col">Location</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Connection</th>
            <th scope="col">Step</th>
            <th scope="col">Age</th>
            <th scope="col" className="num">
              Monthly
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.id} data-testid="instance-row" data-instance-id={i.id} data-status={i.status}>
              <td data-label="Name" className="cell-name">
                <a href={href.instance(i.id)} data-testid="instance-link">
                  {i.name}
                </a>
                <span className="sub mono">{i.serverName}</span>
              </td>
              <td data-label="Provider">{PROVIDER_LABELS[i.provider] ?? i.provider}</td>
              <td data-label="Location">{i.location ?? '—'}</td>
              <td data-label="Type">{i.serverType ?? '—'}</td>
              <td data-label="Status">
                <StatusBadge instance={i} />
              </td>
              <td data-label="Connection">
                <ConnectionBadge instance={i} />
              </td>
              <td data-label="Step" data-testid="instance-step">
                {i.step ? (STEP_LABELS[i.step] ?? i.step) : failed(i) ? null : '—'}
                {failed(i) && (
                  <span className="sub sub-error" title={i.failureReason}>
                    {i.failureReason.length > 60 ? `${i.failureReason.slice(0, 57)}…` : i.failureReason}
                  </span>
                )}
              </td>
              <td data-label="Age">
                <time dateTime={i.createdAt} title={new Date(i.createdAt).toLocaleString()}>
                  {formatAge(i.createdAt, now)}
                </time>
              </td>
              <td data-label="Monthly" className="num" data-testid="instance-price">
                {price(i)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
