import { describe, expect, it } from 'vitest';
import type { DoctorReport, InstanceStatus } from '../../api/contract/types.ts';
import { colors } from '../output.ts';
import { doctorTable, emptyUnitHint, logsHint, newLines, statusDetails } from './ops.ts';

describe('hangar status / doctor / logs: formatting', () => {
  it('log follow: only lines after the overlap', () => {
    expect(newLines(['a', 'b', 'c'], ['b', 'c', 'd', 'e'])).toEqual(['d', 'e']);
    expect(newLines([], ['a'])).toEqual(['a']);
    expect(newLines(['a'], ['x', 'y'])).toEqual(['x', 'y']);
    expect(newLines(['a', 'b'], ['a', 'b'])).toEqual([]);
  });

  it('logs: an empty unit names every unit and the command for each other one, quoting a name for the shell', async () => {
    expect(logsHint('web-1', 'agent', [{ unit: 'bootstrap', hasLines: true }, { unit: 'workload', hasLines: false }]).split('\n')).toEqual([
      'no lines in the agent log yet; units: agent, bootstrap, workload. Ask for another with -u:',
      '  hangar logs web-1 -u bootstrap (has lines)',
      '  hangar logs web-1 -u workload  (empty too)',
    ]);
    expect(logsHint("it's mine", 'workload', [{ unit: 'agent', hasLines: null }])).toContain(`  hangar logs 'it'\\''s mine' -u agent`);
    // The other units are asked for one line each; a failure leaves them unmarked.
    const asked: string[] = [];
    const client = { logs: async (_id: string, q: { unit?: string }) => (asked.push(q.unit!), q.unit === 'workload' ? Promise.reject(new Error('agent gone')) : { unit: q.unit as 'agent', lines: ['x'] }) };
    const hint = await emptyUnitHint(client as never, 'id', 'ab12', 'agent');
    expect(asked).toEqual(['bootstrap', 'workload']);
    expect(hint).toContain('hangar logs ab12 -u bootstrap (has lines)');
    expect(hint).toMatch(/hangar logs ab12 -u workload$/);
  });

  it('doctor: a mark per check, hints under the ones that did not pass, a summary', () => {
    const r: DoctorReport = {
      status: 'fail',
      checks: [
        { name: 'disk', status: 'pass', detail: '50 GiB free' },
        { name: 'memory', status: 'warn', detail: '5 % free', hint: 'pick a larger server type' },
        { name: 'clock', status: 'fail', detail: '-120 s', hint: 'timedatectl' },
      ],
    };
    expect(doctorTable(r, colors(false)).split('\n')).toEqual([
      '✔ disk    50 GiB free',
      '⚠ memory  5 % free',
      '          → pick a larger server type',
      '✖ clock   -120 s',
      '          → timedatectl',
      '',
      '✖ 1 passed, 1 warnings, 1 failed',
    ]);
  });

  it('status without an agent: what the control plane knows, and why the agent is missing', () => {
    const s: InstanceStatus = {
      id: '5aa2f1c0-0000-4000-8000-000000000001',
      name: 'demo',
      status: 'provisioning',
      step: 'boot',
      connection: 'connecting',
      lastHeartbeatAt: null,
      agentVersion: null,
      workloadHealthy: null,
      tailnetName: null,
      hubReplica: null,
      execEnabled: false,
      lastSmoke: null,
      agent: null,
      agentError: 'agent is not connected',
    };
    const text = statusDetails(s, colors(false));
    expect(text).toContain('status:     provisioning (boot)');
    expect(text).toContain('agent:      agent is not connected');
    expect(text).toContain('exec:       disabled');
  });
});
