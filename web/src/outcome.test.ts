import { describe, expect, it } from 'vitest';
import { failedStep, serverFacts, serverFate, shownConnection, shownStatus } from './outcome.ts';
import type { InstanceEvent } from './types.ts';

let nextId = 1;
function ev(e: Partial<InstanceEvent>): InstanceEvent {
  return { id: nextId++, instanceId: 'i', at: '2025-01-02T10:00:00.000Z', actor: 'engine', kind: 'info', from: null, to: null, step: null, reason: null, data: null, ...e };
}
const t = (from: string | null, to: string, extra: Partial<InstanceEvent> = {}) => ev({ kind: 'transition', from, to, ...extra });

/** The events of a create that failed at create_server and was torn down (onFailure=destroy): no server ever existed. */
const failedBeforeServer = [
  t(null, 'pending', { reason: 'instance requested' }),
  t('pending', 'provisioning', { step: 'create_server' }),
  ev({ kind: 'error', reason: 'create_server failed (attempt 1, giving up): invalid input in field server_type', data: { code: 'invalid_input' } }),
  t('provisioning', 'failed', { step: 'create_server', reason: 'create_server failed: invalid input in field server_type' }),
  t('failed', 'stopping', { reason: 'onFailure=destroy after: create_server failed: invalid input in field server_type' }),
  t('stopping', 'stopped', { reason: 'no server existed' }),
];

/** A server created, then deleted by teardown. */
const created = ev({ reason: 'server 42 created on hetzner', data: { serverId: '42' } });
const deleted = ev({ reason: 'server 42 deleted', data: { serverId: '42' } });

describe('shownStatus', () => {
  it('keeps showing "failed" for an instance torn down after it failed', () => {
    expect(shownStatus({ status: 'stopped', failureReason: 'create_server failed: x' })).toBe('failed');
    expect(shownStatus({ status: 'stopping', failureReason: 'create_server failed: x' })).toBe('failed');
    expect(shownStatus({ status: 'failed', failureReason: 'x' })).toBe('failed');
  });
  it('shows every other status as it is', () => {
    expect(shownStatus({ status: 'stopped', failureReason: null })).toBe('stopped');
    expect(shownStatus({ status: 'running', failureReason: null })).toBe('running');
  });
});

describe('shownConnection', () => {
  it('never says "connecting" for an instance that failed or was torn down before its agent dialed in', () => {
    for (const status of ['failed', 'stopping', 'stopped'] as const) expect(shownConnection({ status, connection: 'connecting' })).toMatchObject({ state: 'never', label: 'Never connected' });
  });
  it('says what the data says otherwise', () => {
    expect(shownConnection({ status: 'provisioning', connection: 'connecting' }).label).toBe('Connecting');
    expect(shownConnection({ status: 'failed', connection: 'timeout' }).label).toBe('Timed out');
    expect(shownConnection({ status: 'stopped', connection: 'disconnected' }).label).toBe('Disconnected');
  });
});

describe('serverFacts and serverFate', () => {
  it('reads the engine’s reasons: created, adopted, booting, deleted, vanished', () => {
    const f = serverFacts([
      created,
      ev({ kind: 'transition', to: 'provisioning', step: 'boot', reason: 'server 42 booting' }),
      ev({ reason: 'adopted server 43 found by label' }),
      ev({ reason: 'adopted server 44: name taken by our own server' }),
      ev({ kind: 'error', actor: 'reconciler', reason: 'server 43 no longer exists at hetzner' }),
      deleted,
      ev({ kind: 'connection', reason: 'server deleted' }),
    ]);
    expect(f).toEqual({ created: ['42', '43', '44'], deleted: ['42'], vanished: ['43'] });
  });

  it('says "no server was created" when none was, whatever the final transition’s wording', () => {
    expect(serverFate({ status: 'stopped' }, failedBeforeServer)).toEqual({ key: 'none', text: 'no server was created' });
  });

  it('names the deleted server, the one that vanished, the one kept, and the one being deleted', () => {
    expect(serverFate({ status: 'stopped' }, [created, deleted]).text).toBe('server 42 deleted');
    expect(serverFate({ status: 'stopped' }, [created, ev({ reason: 'server 42 no longer exists at hetzner' })]).text).toBe('server 42 vanished at the provider: nothing left to delete');
    expect(serverFate({ status: 'failed' }, [created]).text).toBe('server 42 kept');
    expect(serverFate({ status: 'stopping' }, [created]).text).toBe('deleting server 42');
  });

  it('claims nothing before the events are loaded, or for an instance that is not done', () => {
    expect(serverFate({ status: 'stopped' }, []).key).toBe('unknown');
    expect(serverFate({ status: 'running' }, [created]).key).toBe('unknown');
  });
});

describe('failedStep', () => {
  it('finds the step a torn-down instance failed at in its events', () => {
    expect(failedStep({ status: 'stopped', step: null }, failedBeforeServer)).toBe('create_server');
    expect(failedStep({ status: 'failed', step: 'workload' }, [])).toBe('workload');
    expect(failedStep({ status: 'stopped', step: null }, [created, deleted])).toBeNull();
  });
});
