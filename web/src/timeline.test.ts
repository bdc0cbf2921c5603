import { describe, expect, it } from 'vitest';
import { buildTimeline } from './timeline.ts';
import type { Instance, InstanceEvent } from './types.ts';

const T0 = Date.parse('2025-01-02T10:00:00.000Z');
let nextId = 1;
const at = (ms: number) => new Date(T0 + ms).toISOString();
function ev(ms: number, e: Partial<InstanceEvent>): InstanceEvent {
  return { id: nextId++, instanceId: 'i', at: at(ms), actor: 'engine', kind: 'transition', from: null, to: null, step: null, reason: null, data: null, ...e };
}
const step = (ms: number, s: string, from = 'provisioning') => ev(ms, { from, to: 'provisioning', step: s });
const inst = (status: Instance['status'], s: Instance['step'] = null, failureReason: string | null = null) => ({ status, step: s, createdAt: at(0), failureReason });

describe('buildTimeline', () => {
  it('times every step of a provisioning that reached running', () => {
    const events = [
      ev(0, { to: 'pending' }),
      step(100, 'create_server', 'pending'),
      step(300, 'boot'),
      ev(500, { kind: 'log', reason: 'bootstrap line' }),
      step(900, 'enroll'),
      step(950, 'network'),
      step(1_000, 'configure'),
      step(1_200, 'workload'),
      ev(1_500, { from: 'provisioning', to: 'running' }),
    ];
    const tl = buildTimeline(inst('running'), events, T0 + 5_000);
    expect(tl.rows.map((r) => [r.key, r.state, r.durationMs])).toEqual([
      ['create_server', 'done', 200],
      ['boot', 'done', 600],
      ['enroll', 'done', 50],
      ['network', 'done', 50],
      ['configure', 'done', 200],
      ['workload', 'done', 300],
      ['running', 'done', null],
    ]);
    expect(tl.readyMs).toBe(1_500);
    expect(tl.live).toBe(false);
  });

  it('counts the current step up to now and leaves later ones pending', () => {
    const events = [ev(0, { to: 'pending' }), step(100, 'create_server', 'pending'), step(300, 'boot')];
    const tl = buildTimeline(inst('provisioning', 'boot'), events, T0 + 2_300);
    expect(tl.rows.find((r) => r.key === 'boot')).toMatchObject({ state: 'current', durationMs: 2_000 });
    expect(tl.rows.find((r) => r.key === 'enroll')?.state).toBe('pending');
    expect(tl.rows.find((r) => r.key === 'running')?.state).toBe('pending');
    expect(tl.live).toBe(true);
    expect(tl.readyMs).toBeNull();
  });

  it('marks a step the instance jumped over as skipped', () => {
    const events = [step(0, 'create_server', 'pending'), step(100, 'boot'), step(200, 'enroll'), step(300, 'network'), step(400, 'workload'), ev(500, { from: 'provisioning', to: 'running' })];
    const rows = buildTimeline(inst('running'), events, T0 + 1_000).rows;
    expect(rows.find((r) => r.key === 'configure')).toMatchObject({ state: 'skipped', durationMs: null });
    expect(rows.find((r) => r.key === 'network')).toMatchObject({ state: 'done', durationMs: 100 });
  });

  it('shows where it failed, why, and the teardown that followed', () => {
    const events = [
      step(0, 'create_server', 'pending'),
      ev(90, { kind: 'info', reason: 'server 42 created on hetzner', data: { serverId: '42' } }),
      step(100, 'boot'),
      ev(150, { kind: 'warning', reason: 'retrying' }),
      ev(10_100, { from: 'provisioning', to: 'failed', step: 'boot', reason: 'agent did not dial home within 10s (stuck at boot)' }),
      ev(10_200, { from: 'failed', to: 'stopping' }),
      ev(10_600, { kind: 'info', reason: 'server 42 deleted', data: { serverId: '42' } }),
      ev(10_700, { from: 'stopping', to: 'stopped', reason: 'server deleted' }),
    ];
    const tl = buildTimeline(inst('stopped', null, 'agent did not dial home'), events, T0 + 20_000);
    expect(tl.rows.find((r) => r.key === 'boot')).toMatchObject({ state: 'failed', durationMs: 10_000, note: 'agent did not dial home within 10s (stuck at boot)' });
    expect(tl.rows.find((r) => r.key === 'enroll')?.state).toBe('pending');
    expect(tl.rows.find((r) => r.key === 'running')?.state).toBe('failed');
    expect(tl.rows.find((r) => r.key === 'teardown')).toMatchObject({ state: 'done', durationMs: 500, note: 'server 42 deleted' });
  });

  it('ends the current step when a destroy interrupts provisioning', () => {
    const events = [step(0, 'create_server', 'pending'), step(100, 'boot'), ev(400, { from: 'provisioning', to: 'stopping' })];
    const tl = buildTimeline(inst('stopping'), events, T0 + 1_000);
    expect(tl.rows.find((r) => r.key === 'boot')).toMatchObject({ state: 'done', durationMs: 300, note: 'interrupted by destroy' });
    expect(tl.rows.find((r) => r.key === 'running')?.state).toBe('skipped');
    expect(tl.rows.find((r) => r.key === 'teardown')).toMatchObject({ state: 'current', durationMs: 600 });
  });

  it('shows the current step of a normal create in progress, never "interrupted by destroy"', () => {
    // No destroy anywhere: the step has no end, and "no destroy" must not read as "ended by a destroy".
    const events = [ev(0, { to: 'pending' }), step(100, 'create_server', 'pending'), step(300, 'boot'), step(900, 'enroll')];
    const tl = buildTimeline(inst('provisioning', 'enroll'), events, T0 + 1_400);
    expect(tl.rows.find((r) => r.key === 'enroll')).toMatchObject({ state: 'current', durationMs: 500, note: 'in progress' });
    expect(tl.rows.map((r) => r.note)).not.toContain('interrupted by destroy');
    expect(tl.live).toBe(true);
  });

  it('shows a step the events say started as in progress even while the instance row still names the previous one', () => {
    const events = [step(0, 'create_server', 'pending'), step(100, 'boot'), step(200, 'enroll')];
    const rows = buildTimeline(inst('provisioning', 'boot'), events, T0 + 700).rows;
    expect(rows.find((r) => r.key === 'boot')).toMatchObject({ state: 'done', durationMs: 100 });
    expect(rows.find((r) => r.key === 'enroll')).toMatchObject({ state: 'current', durationMs: 500, note: 'in progress' });
  });

  it('never shows a negative running time (the page clock may lag behind a fresh event)', () => {
    const rows = buildTimeline(inst('provisioning', 'boot'), [step(0, 'create_server', 'pending'), step(500, 'boot')], T0 + 200).rows;
    expect(rows.find((r) => r.key === 'boot')?.durationMs).toBe(0);
  });

  it('tells the teardown of a create that failed before any server existed as the events do', () => {
    const events = [
      ev(0, { to: 'pending' }),
      step(100, 'create_server', 'pending'),
      ev(200, { kind: 'error', reason: 'create_server failed (attempt 1, giving up): invalid input in field server_type' }),
      ev(210, { from: 'provisioning', to: 'failed', step: 'create_server', reason: 'create_server failed: invalid input' }),
      ev(220, { from: 'failed', to: 'stopping', reason: 'onFailure=destroy after: create_server failed: invalid input' }),
      ev(300, { from: 'stopping', to: 'stopped', reason: 'no server existed' }),
    ];
    const tl = buildTimeline(inst('stopped', null, 'create_server failed: invalid input'), events, T0 + 1_000);
    expect(tl.rows.find((r) => r.key === 'create_server')).toMatchObject({ state: 'failed', note: 'create_server failed: invalid input' });
    expect(tl.rows.find((r) => r.key === 'teardown')).toMatchObject({ state: 'done', note: 'no server was created' });
  });

  it('notes warnings within a step', () => {
    const events = [step(0, 'create_server', 'pending'), ev(10, { kind: 'warning' }), ev(20, { kind: 'error' }), step(100, 'boot')];
    const rows = buildTimeline(inst('provisioning', 'boot'), events, T0 + 200).rows;
    expect(rows[0].note).toBe('2 warnings (see the log)');
  });
});
