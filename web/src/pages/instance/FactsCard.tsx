import { useEffect, useState } from 'react';
import { catalogue, priceOf } from '../../catalogue.ts';
import { ConnectionBadge } from '../../components/Badge.tsx';
import { formatAge, formatDuration, formatPrice, formatTime, PROVIDER_LABELS, WORKLOAD_LABELS } from '../../format.ts';
import type { Instance } from '../../types.ts';

const BOOTSTRAP_PATHS: Record<string, string> = {
  full: 'Full install',
  snapshot: 'From a Hangar snapshot',
  fallback: 'Fallback: full install after the snapshot path failed',
};

/** The instance's details: agent, network, server and settings (sealed ones by name only). */
export function FactsCard({ instance: i, now }: { instance: Instance; now: number }) {
  // The API fills monthlyPrice only once its catalogue is warm; otherwise price it from ours.
  const [price, setPrice] = useState<{ monthly: number; currency: string } | null>(null);
  useEffect(() => {
    if (i.monthlyPrice !== null || !i.serverType) return;
    let live = true;
    catalogue
      .serverTypes(i.provider)
      .then((t) => {
        const p = priceOf(t, i.serverType, i.location);
        if (live && p) setPrice(p);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [i.provider, i.serverType, i.location, i.monthlyPrice]);
  const heartbeatAge = i.lastHeartbeatAt ? now - Date.parse(i.lastHeartbeatAt) : null;
  const configEntries = Object.entries(i.config ?? {});
  return (
    <section className="card" aria-labelledby="facts-title" data-testid="facts">
      <h2 id="facts-title" className="sr-only">
        Details
      </h2>
      <dl className="facts">
        <dt className="facts-group">Agent</dt>
        <dt>Connection</dt>
        <dd>
          <ConnectionBadge instance={i} />
        </dd>
        <dt>Last heartbeat</dt>
        <dd data-testid="last-heartbeat">
          {i.lastHeartbeatAt ? (
            <time dateTime={i.lastHeartbeatAt} title={formatTime(i.lastHeartbeatAt)}>
              {heartbeatAge !== null && heartbeatAge < 1500 ? 'just now' : `${formatAge(i.lastHeartbeatAt, now)} ago`}
            </time>
          ) : (
            <span className="muted">none yet</span>
          )}
        </dd>
        <dt>Workload</dt>
        <dd>
          {WORKLOAD_LABELS[i.workload] ?? i.workload}
          {i.workloadHealthy === true && <span className="muted"> · healthy</span>}
          {i.workloadHealthy === false && <span className="text-danger"> · unhealthy</span>}
        </dd>
        <dt>Agent</dt>
        <dd className="mono">{i.agentId ? `${i.agentId.slice(0, 8)}${i.agentVersion ? ` · v${i.agentVersion}` : ''}` : '—'}</dd>

        <dt className="facts-group">Network</dt>
        <dt>IPv4</dt>
        <dd className="mono" data-testid="ipv4">
          {i.ipv4 ?? '—'}
        </dd>
        <dt>IPv6</dt>
        <dd className="mono">{i.ipv6 ?? '—'}</dd>
        <dt>Tailscale</dt>
        <dd>{i.tailscale ? 'on' : 'off'}</dd>
        <dt>Tailnet name</dt>
        <dd className="mono" data-testid="tailnet-name">
          {i.tailnetName ?? '—'}
        </dd>

        <dt className="facts-group">Server</dt>
        <dt>Provider</dt>
        <dd>
          {PROVIDER_LABELS[i.provider] ?? i.provider}
          {i.location ? ` · ${i.location}` : ''}
        </dd>
        <dt>Server type</dt>
        <dd>
          {i.serverType ?? 'default'}
          {(i.monthlyPrice !== null || price) && <span className="muted"> · {formatPrice(i.monthlyPrice ?? price?.monthly, price?.currency ?? i.currency, i.provider)}/month</span>}
        </dd>
        <dt>Server id</dt>
        <dd className="mono">{i.serverId ?? '—'}</dd>
        <dt>Image</dt>
        <dd>{i.image ?? 'default'}</dd>
        <dt>Bootstrap path</dt>
        <dd data-testid="bootstrap-path">{i.bootstrapPath ? (BOOTSTRAP_PATHS[i.bootstrapPath] ?? i.bootstrapPath) : '—'}</dd>

        <dt className="facts-group">Settings</dt>
        {configEntries.map(([k, v]) => (
          <FactRow key={k} k={k} v={typeof v === 'string' ? v : JSON.stringify(v)} />
        ))}
        <dt>Sealed settings</dt>
        <dd>{i.secrets.length ? <span className="kv">{i.secrets.map((s) => <code key={s}>{s}</code>)}</span> : 'none'}</dd>
        <dt>Connect timeout</dt>
        <dd>{formatDuration(i.connectTimeoutSeconds * 1000)}</dd>
        <dt>On failure</dt>
        <dd>{i.onFailure === 'keep' ? 'keep the server' : 'destroy the server'}</dd>
        <dt>Running since</dt>
        <dd>{i.runningAt ? formatTime(i.runningAt) : '—'}</dd>
      </dl>
    </section>
  );
}

/** One setting, its value cut at 200 characters. */
function FactRow({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt className="mono">{k}</dt>
      <dd className="mono">{v.length > 200 ? `${v.slice(0, 200)}…` : v}</dd>
    </>
  );
}
