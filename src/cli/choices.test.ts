import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseStatuses, PROVIDERS, STATUSES, WORKLOADS } from './choices.ts';

describe('CLI choices', () => {
  it('are the contract and lifecycle values', () => {
    expect(PROVIDERS).toEqual(['local', 'hetzner', 'digital-ocean', 'ssh']);
    expect(WORKLOADS).toEqual(['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose']);
    expect(STATUSES).toEqual(['pending', 'provisioning', 'running', 'hibernating', 'hibernated', 'stopping', 'stopped', 'failed']);
  });

  it('--status: a comma-separated list of known statuses, else an error naming the bad ones and the good ones', () => {
    expect(parseStatuses('running, failed,')).toBe('running,failed');
    expect(() => parseStatuses('running,bogus,nope')).toThrow(InvalidArgumentError);
    expect(() => parseStatuses('running,bogus,nope')).toThrow('unknown status bogus, nope; one or more of pending, provisioning, running, hibernating, hibernated, stopping, stopped, failed, comma-separated.');
    expect(() => parseStatuses(',')).toThrow(/no status given/);
  });
});
