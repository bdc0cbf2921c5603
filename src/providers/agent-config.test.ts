import { describe, expect, it } from 'vitest';
import { bootstrapInput } from '../bootstrap/fixtures.testing.ts';
import { agentConfigOf } from './agent-config.ts';
import type { ServerSpec } from './types.ts';

const base: ServerSpec = { name: 'hangar-x-0f0e0d0c', labels: {}, userData: '#cloud-config\n' };

describe('agentConfigOf', () => {
  it("takes the agent's bootstrap.json from the spec's structured bootstrap, never from user-data", () => {
    const b = bootstrapInput();
    expect(agentConfigOf('local', { ...base, userData: 'garbage', bootstrap: b })).toEqual(b.bootstrap);
    expect(Object.keys(agentConfigOf('ssh', { ...base, bootstrap: { ...b, bootstrap: { ...b.bootstrap, extra: 'x' } as never } }))).toEqual(['apiUrl', 'token', 'instanceId', 'serverName']);
  });

  it('refuses a spec without it: 422 invalid_input naming what is missing', () => {
    expect(() => agentConfigOf('local', base)).toThrow(expect.objectContaining({ provider: 'local', code: 'invalid_input', httpStatus: 422, retryable: false }));
    const b = bootstrapInput();
    expect(() => agentConfigOf('ssh', { ...base, bootstrap: { ...b, bootstrap: { ...b.bootstrap, token: '' } } })).toThrow(/lacks token/);
  });
});
