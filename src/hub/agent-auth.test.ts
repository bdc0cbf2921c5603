import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken, newToken } from '../domain/tokens.ts';
import { engineFixture, type EngineFixture } from '../engine/engine.testing.ts';
import { agentByAuthorization, parseAgentAuthorization } from './agent-auth.ts';

describe('parseAgentAuthorization', () => {
  it('takes only Bearer <uuid>:<hga_ key of newToken shape>', () => {
    const agentId = randomUUID();
    const agentKey = newToken('hga');
    expect(parseAgentAuthorization(`Bearer ${agentId}:${agentKey}`)).toEqual({ agentId, agentKey });
    for (const bad of [undefined, '', `Bearer ${agentId}`, `bearer ${agentId}:${agentKey}`, `Bearer ${agentId}:hga_short`, `Bearer ${'-'.repeat(36)}:${agentKey}`, `Bearer ${agentId}:${agentKey} `, `Basic ${agentId}:${agentKey}`]) {
      expect(parseAgentAuthorization(bad)).toBeNull();
    }
  });
});

describe('agentByAuthorization', () => {
  let f: EngineFixture;
  beforeAll(async () => {
    f = await engineFixture('hub-agent-auth');
  });
  afterAll(async () => {
    await f?.close();
  });

  it('finds the live instance of a known agent key; a wrong key, a stopped instance or a malformed header is null (malformed: no query at all)', async () => {
    const { row } = await f.instance({ steps: ['boot'] });
    const agentId = randomUUID();
    const agentKey = newToken('hga');
    await f.store.update(row.id, { agentId, agentKeyHash: hashToken(agentKey) });
    expect((await agentByAuthorization(f.store, `Bearer ${agentId}:${agentKey}`))?.id).toBe(row.id);
    expect(await agentByAuthorization(f.store, `Bearer ${agentId}:${newToken('hga')}`)).toBeNull();
    const findBy = vi.spyOn(f.store, 'findBy');
    expect(await agentByAuthorization(f.store, `Bearer ${agentId}:hga_x`)).toBeNull();
    expect(findBy).not.toHaveBeenCalled();
    findBy.mockRestore();
    await f.store.update(row.id, { status: 'stopped' });
    expect(await agentByAuthorization(f.store, `Bearer ${agentId}:${agentKey}`)).toBeNull();
  });
});
