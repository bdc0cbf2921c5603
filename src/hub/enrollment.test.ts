import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLL_PROOF_MISMATCH, newEnrollSecret, proofHashOf } from '../domain/enroll-proof.ts';
import { UnauthorizedError } from '../domain/errors.ts';
import { Engine } from '../engine/engine.ts';
import { engineFixture, type EngineFixture } from '../engine/engine.testing.ts';
import { agentByAuthorization } from './agent-auth.ts';
import { enroll } from './enrollment.ts';

let f: EngineFixture;
let engine: Engine;
beforeAll(async () => {
  f = await engineFixture('hub-enrollment', { releaseKeys: ['release-key'], heartbeatSeconds: 7 });
  engine = new Engine(f.deps);
});
afterAll(async () => {
  await f?.close();
});

const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: Error) => (e instanceof UnauthorizedError ? e.message : `not a 401: ${e.message}`));

describe('enroll', () => {
  it('exchanges the one-time token for an identity, a key (stored hashed), the hub URL and the workload; the enroll and network steps follow', async () => {
    const { row, token } = await f.instance({ steps: ['boot'] });
    const e = await enroll(engine, token, { version: '1.2.3', hostname: 'h', proofHash: proofHashOf(newEnrollSecret()) });
    expect(e).toMatchObject({ instanceId: row.id, serverName: row.serverName, hubUrl: 'ws://127.0.0.1:9/v1/agents/connect', heartbeatSeconds: 7, tailscale: null, releaseKeys: ['release-key'], updateCheckSeconds: 900, updateTrialSeconds: 120 });
    expect(e.agentKey).toMatch(/^hga_[A-Za-z0-9_-]{43}$/);
    expect(e.env).toMatchObject({ AGENT_ID: e.agentId, SERVER_NAME: row.serverName, API_URL: 'http://127.0.0.1:9' });
    const after = await f.store.get(row.id);
    expect(after).toMatchObject({ agentId: e.agentId, agentVersion: '1.2.3', step: 'network', bootstrapTokenSealed: null });
    expect(after.agentKeyHash).not.toContain(e.agentKey);
    expect((await agentByAuthorization(f.store, `Bearer ${e.agentId}:${e.agentKey}`))?.id).toBe(row.id);
    expect(JSON.stringify(await f.store.events(row.id))).not.toContain(e.agentKey);
  });

  it('a spent token enrolls again only with the proof, and only once; the old key stops working', async () => {
    const { row, token } = await f.instance({ steps: ['boot'] });
    const [s1, s2, s3] = [newEnrollSecret(), newEnrollSecret(), newEnrollSecret()];
    const first = await enroll(engine, token, { proofHash: proofHashOf(s1) });
    expect(await refusal(enroll(engine, token, { proofHash: proofHashOf(s2) }))).toBe('bootstrap token already used');
    expect(await refusal(enroll(engine, token, { proof: s2, proofHash: proofHashOf(s3) }))).toBe(ENROLL_PROOF_MISMATCH);
    const again = await enroll(engine, token, { proof: s1, proofHash: proofHashOf(s2) });
    expect(again.agentId).toBe(first.agentId);
    expect(again.agentKey).not.toBe(first.agentKey);
    expect(await agentByAuthorization(f.store, `Bearer ${first.agentId}:${first.agentKey}`)).toBeNull();
    expect((await agentByAuthorization(f.store, `Bearer ${again.agentId}:${again.agentKey}`))?.id).toBe(row.id);
    expect(await refusal(enroll(engine, token, { proof: s1, proofHash: proofHashOf(s3) }))).toBe(ENROLL_PROOF_MISMATCH);
    expect((await f.store.events(row.id)).some((e) => e.kind === 'warning' && /enrolled again/.test(e.reason ?? ''))).toBe(true);
  });

  it('refuses an unknown or expired token, and an instance that is running or stopping', async () => {
    expect(await refusal(enroll(engine, `hgb_${'x'.repeat(43)}`, {}))).toBe('unknown bootstrap token');
    const expired = await f.instance({ steps: ['boot'], set: { bootstrapTokenExpiresAt: new Date(Date.now() - 1000) } });
    expect(await refusal(enroll(engine, expired.token, {}))).toBe('bootstrap token expired');
    const running = await f.instance({ steps: ['boot', 'enroll', 'network', 'configure', 'workload'] });
    await f.store.transition(running.row.id, { type: 'ready' }, { actor: 'test' });
    expect(await refusal(enroll(engine, running.token, {}))).toBe('instance is running');
    const stopping = await f.instance({ steps: ['boot'] });
    await f.store.transition(stopping.row.id, { type: 'destroy' }, { actor: 'test' });
    expect(await refusal(enroll(engine, stopping.token, {}))).toBe('instance is stopping');
    expect((await f.store.get(stopping.row.id)).agentId).toBeNull();
  });
});
