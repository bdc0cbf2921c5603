import { describe, expect, it } from 'vitest';
import type { WorkloadPlan } from '../bootstrap/types.ts';
import { configFromEnv } from '../config.ts';
import { ValidationError } from '../domain/errors.ts';
import { localProviderDecision, localWorkloadGuard } from './local-policy.ts';

describe('localProviderDecision', () => {
  it('auto: on with no cloud (SSH and the tailnet do not count), off once hetzner or digital-ocean is configured', () => {
    expect(localProviderDecision('auto', [])).toEqual({ enabled: true, hint: null });
    expect(localProviderDecision('auto', ['ssh'])).toEqual({ enabled: true, hint: null });
    const off = localProviderDecision('auto', ['ssh', 'digital-ocean', 'hetzner']);
    expect(off.enabled).toBe(false);
    expect(off.hint).toContain('(digital-ocean, hetzner)');
    expect(off.hint).toContain('HANGAR_LOCAL_PROVIDER=1');
  });

  it('on and off are forced either way', () => {
    expect(localProviderDecision('on', ['hetzner']).enabled).toBe(true);
    expect(localProviderDecision('off', [])).toEqual({ enabled: false, hint: expect.stringContaining('HANGAR_LOCAL_PROVIDER=1') });
  });

  it('reads HANGAR_LOCAL_PROVIDER and HANGAR_LOCAL_COMMANDS (defaults auto and off) and names a bad value', () => {
    expect(configFromEnv({})).toMatchObject({ localProvider: 'auto', localCommands: false, allowedEndpoints: [] });
    expect(configFromEnv({ HANGAR_LOCAL_PROVIDER: '1', HANGAR_LOCAL_COMMANDS: '1' })).toMatchObject({ localProvider: 'on', localCommands: true });
    expect(configFromEnv({ HANGAR_LOCAL_PROVIDER: '0' }).localProvider).toBe('off');
    expect(configFromEnv({ HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*, http://[::1]:4010' }).allowedEndpoints).toEqual(['http://127.0.0.1:*', 'http://[::1]:4010']);
    expect(() => configFromEnv({ HANGAR_LOCAL_PROVIDER: 'maybe' })).toThrow(/HANGAR_LOCAL_PROVIDER/);
    expect(() => configFromEnv({ HANGAR_LOCAL_COMMANDS: 'yes please' })).toThrow(/HANGAR_LOCAL_COMMANDS/);
  });
});

describe('localWorkloadGuard', () => {
  const plan = { kind: 'process' } as WorkloadPlan;
  const row = (provider: string, workloadConfig: Record<string, unknown>) => ({ provider, workload: 'process', workloadConfig });
  const fields = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      if (err instanceof ValidationError) return err.errors!.map((e) => e.field);
      throw err;
    }
    return [];
  };

  it('validation: refuses a command or args on local unless allowed; other providers and the demo pass', () => {
    const strict = localWorkloadGuard(false).validate(() => {});
    expect(fields(() => strict('process', { command: 'sh' }, {}, 'local'))).toEqual(['config.command']);
    expect(fields(() => strict('process', { command: 'sh', args: [] }, {}, 'local'))).toEqual(['config.command', 'config.args']);
    expect(fields(() => strict('process', {}, {}, 'local'))).toEqual([]);
    expect(fields(() => strict('process', { port: 8080, healthPath: '/up' }, {}, 'local'))).toEqual([]);
    expect(fields(() => strict('process', { command: 'sh' }, {}, 'hetzner'))).toEqual([]);
    expect(fields(() => localWorkloadGuard(true).validate(() => {})('process', { command: 'sh' }, {}, 'local'))).toEqual([]);
  });

  it('rendering at enrollment checks again: a command stored while it was allowed is not delivered once it is not', () => {
    const render = localWorkloadGuard(false).render(() => plan);
    expect(fields(() => render(row('local', { command: '/bin/sh', args: ['-c', 'id'] }), {}))).toEqual(['config.command', 'config.args']);
    expect(render(row('local', {}), {})).toBe(plan);
    expect(render(row('digital-ocean', { command: '/bin/sh' }), {})).toBe(plan);
    expect(localWorkloadGuard(true).render(() => plan)(row('local', { command: '/bin/sh' }), {})).toBe(plan);
  });
});
