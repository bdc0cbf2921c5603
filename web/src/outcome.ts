/**
 * What an instance's record and events say, read once for every screen: the status to show (an
 * instance that failed stays "failed" after onFailure=destroy tore it down), the connection as
 * far as it is still true, and what became of its server. Pure, so pages and tests share it.
 */
import type { Connection, Instance, InstanceEvent, Lifecycle, Step } from './types.ts';

/**
 * The status to show: the lifecycle status, except `failed` for an instance that failed and was
 * then torn down (onFailure=destroy moves it on to stopping and stopped, keeping its failure).
 *
 * @example
 * shownStatus({ status: 'stopped', failureReason: 'create_server failed: …' }) // → 'failed'
 */
export function shownStatus(i: Pick<Instance, 'status' | 'failureReason'>): Lifecycle {
  return i.failureReason && (i.status === 'stopping' || i.status === 'stopped') ? 'failed' : i.status;
}

/** Whether the instance is done: it failed, or is (being) torn down. Its agent will not dial in any more. */
const finished = (status: Lifecycle) => status === 'failed' || status === 'stopping' || status === 'stopped';

/** A connection pill's content: a state for styling and tests (`never` for an agent that never dialed in), and its words. */
export interface ShownConnection {
  state: Connection | 'never';
  label: string;
  title: string;
}

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  disconnected: 'Disconnected',
  timeout: 'Timed out',
};

/**
 * The agent connection as far as it is true: "Connecting" only while the instance may still
 * connect; an instance that failed or was torn down before its agent ever dialed in (still at
 * the initial `connecting`) "never connected".
 *
 * @example
 * shownConnection({ status: 'stopped', connection: 'connecting' }).label // → 'Never connected'
 */
export function shownConnection(i: Pick<Instance, 'status' | 'connection'>): ShownConnection {
  if (i.connection === 'connecting' && finished(i.status)) return { state: 'never', label: 'Never connected', title: 'Agent connection: its agent never dialed in' };
  return { state: i.connection, label: CONNECTION_TEXT[i.connection] ?? i.connection, title: `Agent connection: ${i.connection}` };
}

/** The servers an instance's events mention, by what happened to them (ids as the provider gave them). */
export interface ServerFacts {
  /** Created, or adopted (found by its labels or its name). */
  created: string[];
  /** Deleted by teardown (a provider's "not found" counts as deleted). */
  deleted: string[];
  /** Found gone at the provider by the reconciler. */
  vanished: string[];
}

const uniq = (xs: string[]) => [...new Set(xs)];

/**
 * Read the server facts from the engine's event reasons: `server <id> created on <provider>`,
 * `adopted server <id> …`, the boot step's `server <id> booting` (src/engine/systems/provision.ts,
 * reconciler.ts), `server <id> deleted` (teardown.ts), `server <id> no longer exists at …`.
 *
 * @example
 * serverFacts([{ kind: 'info', reason: 'server 42 created on hetzner', … }]).created // → ['42']
 */
export function serverFacts(events: InstanceEvent[]): ServerFacts {
  const created: string[] = [];
  const deleted: string[] = [];
  const vanished: string[] = [];
  for (const e of events) {
    const r = e.reason ?? '';
    let m: RegExpExecArray | null;
    if ((m = /^(?:server (\S+) (?:created|booting)\b|adopted server (\S+?):? )/.exec(r))) created.push(m[1] ?? m[2]);
    else if ((m = /^server (\S+) deleted$/.exec(r))) deleted.push(m[1]);
    else if ((m = /^server (\S+) no longer exists\b/.exec(r))) vanished.push(m[1]);
  }
  return { created: uniq(created), deleted: uniq(deleted), vanished: uniq(vanished) };
}

/** What became of an instance's server, in words, with a key for tests and styling. */
export interface ServerFate {
  key: 'none' | 'deleted' | 'gone' | 'deleting' | 'kept' | 'unknown';
  text: string;
}

const list = (ids: string[]) => (ids.length === 1 ? `server ${ids[0]}` : `servers ${ids.join(', ')}`);

/**
 * What became of the instance's server, from its events (the same words for the detail's note and
 * its timeline): never created, deleted, gone before teardown, being deleted, or kept after a
 * failure. `unknown` while no event is loaded, and for an instance that is not done.
 *
 * @example
 * serverFate({ status: 'stopped' }, events).text // → 'no server was created' | 'server 42 deleted' | …
 */
export function serverFate(i: Pick<Instance, 'status'>, events: InstanceEvent[]): ServerFate {
  if (!events.length || !finished(i.status)) return { key: 'unknown', text: '' };
  const f = serverFacts(events);
  const live = f.created.filter((id) => !f.deleted.includes(id));
  if (i.status === 'stopping') {
    if (live.length) return { key: 'deleting', text: `deleting ${list(live)}` };
    if (f.deleted.length) return { key: 'deleting', text: `${list(f.deleted)} deleted; finishing teardown` };
    return { key: 'deleting', text: 'no server was created; checking that none exists' };
  }
  if (i.status === 'stopped') {
    if (f.deleted.length) return { key: 'deleted', text: `${list(f.deleted)} deleted` };
    if (f.created.length) {
      const gone = f.vanished.length ? 'vanished at the provider' : `${f.created.length === 1 ? 'was' : 'were'} already gone`;
      return { key: 'gone', text: `${list(f.created)} ${gone}: nothing left to delete` };
    }
    return { key: 'none', text: 'no server was created' };
  }
  if (!f.created.length) return { key: 'none', text: 'no server was created' };
  if (f.vanished.length && !live.some((id) => !f.vanished.includes(id))) return { key: 'gone', text: `${list(f.vanished)} vanished at the provider` };
  return { key: 'kept', text: `${list(live.length ? live : f.created)} kept` };
}

/**
 * The step an instance failed at: its own while it is `failed`, else the one its `failed`
 * transition recorded (a torn-down instance has no step any more).
 *
 * @example
 * failedStep({ status: 'stopped', step: null }, events) // → 'create_server'
 */
export function failedStep(i: Pick<Instance, 'status' | 'step'>, events: InstanceEvent[]): Step | null {
  if (i.status === 'failed' && i.step) return i.step;
  const failed = events.find((e) => e.kind === 'transition' && e.to === 'failed');
  return (failed?.step as Step | null | undefined) ?? null;
}
