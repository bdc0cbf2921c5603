import { ApiError } from '../api.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { useNow, useTitle } from '../hooks.ts';
import { href } from '../router.ts';
import { DestroyDialog } from './instance/DestroyDialog.tsx';
import { EventLog } from './instance/EventLog.tsx';
import { FactsCard } from './instance/FactsCard.tsx';
import { InstanceHeader } from './instance/InstanceHeader.tsx';
import { LifetimeCard } from './instance/LifetimeCard.tsx';
import { OpsCard } from './instance/OpsCard.tsx';
import { StatusNotes } from './instance/StatusNotes.tsx';
import { TerminalCard } from './instance/TerminalCard.tsx';
import { TimelineCard } from './instance/TimelineCard.tsx';
import { useDestroy } from './instance/useDestroy.ts';
import { useInstance } from './instance/useInstance.ts';

/** One instance: status, step timeline, agent connection, addresses, lifetime, ops, live event log, destroy. */
export function InstanceDetail({ id }: { id: string }) {
  const { instance, error, events, historyError, stream, reload, reloadHistory, replace } = useInstance(id);
  const destroy = useDestroy(id, replace);
  const now = useNow(1000);
  useTitle(instance?.name ?? 'Instance');

  if (error && !instance) {
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <section className="page">
        <a className="breadcrumb" href={href.instances()}>
          ← Instances
        </a>
        <ErrorBox error={error} title={notFound ? 'No such instance' : 'Could not load the instance'} onRetry={notFound ? undefined : () => void reload()} />
      </section>
    );
  }
  if (!instance) {
    return (
      <section className="page">
        <p className="muted loading" role="status">
          Loading instance…
        </p>
      </section>
    );
  }

  return (
    <section className="page" aria-labelledby="instance-title" data-testid="instance-detail" data-status={instance.status}>
      <a className="breadcrumb" href={href.instances()}>
        ← Instances
      </a>
      <InstanceHeader instance={instance} onDestroy={destroy.ask} />
      <StatusNotes instance={instance} events={events} />
      {destroy.error !== null && !destroy.confirming && <ErrorBox error={destroy.error} title="Could not destroy" />}

      <div className="detail-grid">
        <TimelineCard instance={instance} events={events} now={now} />
        <FactsCard instance={instance} now={now} />
      </div>

      <LifetimeCard instance={instance} now={now} onChange={replace} />
      <OpsCard instance={instance} />
      <TerminalCard instance={instance} />

      {historyError !== null && <ErrorBox error={historyError} title="Could not load the event log" onRetry={() => void reloadHistory()} />}
      <EventLog events={events} state={stream} />

      <DestroyDialog instance={instance} action={destroy} />
    </section>
  );
}
