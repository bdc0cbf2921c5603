import { connect, createServer, type Socket } from 'node:net';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLL_PROOF_MISMATCH, newEnrollSecret, proofHashOf } from '../../src/domain/enroll-proof.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { dialHub, unenrolled } from '../helpers/hub-agent.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('enroll-binding');
});
afterAll(async () => {
  await h?.close();
});

const enroll = (body: Record<string, unknown>) => fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const detail = async (res: Response) => ((await res.json()) as { detail?: string }).detail;

async function destroy(id: string) {
  await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
  await h.waitFor(id, (r) => r.status === 'stopped');
}

describe('enrollment is bound to a secret the agent keeps', () => {
  it('the exact first request, replayed after the token is spent, is refused; a wrong proof too', async () => {
    const { id, token } = await unenrolled(h, 'replay');
    const secret = newEnrollSecret();
    const first = { token, version: '0.1.0', hostname: 'box', proofHash: proofHashOf(secret) };
    const res = await enroll(first);
    expect(res.status).toBe(200);
    const a = (await res.json()) as { agentId: string; agentKey: string };

    const replay = await enroll(first);
    expect(replay.status).toBe(401);
    expect(await detail(replay)).toBe('bootstrap token already used');
    expect((await enroll({ token, nonce: 'n'.repeat(32) })).status).toBe(401);
    const wrong = await enroll({ token, proof: newEnrollSecret(), proofHash: proofHashOf(newEnrollSecret()) });
    expect(wrong.status).toBe(401);
    expect(await detail(wrong)).toBe(ENROLL_PROOF_MISMATCH);
    // A proof is not a hash: presenting the observed proofHash itself proves nothing either.
    expect((await enroll({ token, proof: first.proofHash })).status).toBe(400);
    // Nothing changed for the real agent: its key still opens the hub.
    (await dialHub(h, a)).close();
    await destroy(id);
  });

  it('an old agent (nonce, no proofHash) enrolls once; its observed request never enrolls again', async () => {
    const { id, token } = await unenrolled(h, 'old agent');
    const first = { token, version: '0.0.9', nonce: 'nonce-aaaaaaaaaaaaaaaaaaaaaaaaaaa' };
    expect((await enroll(first)).status).toBe(200);
    const replay = await enroll(first);
    expect(replay.status).toBe(401);
    expect((await enroll({ ...first, proof: newEnrollSecret() })).status).toBe(401);
    await destroy(id);
  });

  it('the agent that holds the secret gets in again (new key, same id); each proof works once', async () => {
    const { id, token } = await unenrolled(h, 'retry');
    const s1 = newEnrollSecret();
    const a = (await (await enroll({ token, proofHash: proofHashOf(s1) })).json()) as { agentId: string; agentKey: string };
    // Its answer was lost: the agent proves s1 and names the next secret's hash.
    const s2 = newEnrollSecret();
    const retry = { token, proof: s1, proofHash: proofHashOf(s2) };
    const res = await enroll(retry);
    expect(res.status).toBe(200);
    const b = (await res.json()) as { agentId: string; agentKey: string };
    expect(b.agentId).toBe(a.agentId);
    expect(b.agentKey).not.toBe(a.agentKey);
    await expect(dialHub(h, a)).rejects.toMatchObject({ status: 401 }); // the old key is gone
    // The retry, replayed (or seen), is worth nothing now; the next secret works, once, even when raced.
    expect(await detail(await enroll(retry))).toBe(ENROLL_PROOF_MISMATCH);
    const s3 = newEnrollSecret();
    const raced = await Promise.all([1, 2, 3].map(() => enroll({ token, proof: s2, proofHash: proofHashOf(s3) })));
    expect(raced.map((r) => r.status).sort()).toEqual([200, 401, 401]);
    const reasons = (await h.engine.store.events(id)).map((e) => e.reason);
    expect(reasons.filter((r) => r?.includes('enrolled again')).length).toBe(2);
    // Once the agent connected, no proof enrolls again.
    const c = (await raced.find((r) => r.status === 200)!.json()) as { agentId: string; agentKey: string };
    const ws = await dialHub(h, c);
    await h.waitFor(id, (r) => r.connection === 'connected');
    expect((await enroll({ token, proof: s3 })).status).toBe(401);
    ws.close();
    await destroy(id);
  });

  it('the real agent whose first answer was lost enrolls again with its proof and runs', async () => {
    // A proxy in front of Hangar that forwards the agent's first enroll request and drops its answer.
    let firstRequest = '';
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const up = connect(Number(new URL(h.url).port), '127.0.0.1');
      for (const s of [client, up]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      let sent = '';
      let dropping = false;
      client.on('data', (d) => {
        if (!firstRequest && !dropping && d.toString().startsWith('POST /v1/agents/enroll')) dropping = true;
        if (dropping) sent += d.toString();
        up.write(d);
      });
      up.on('data', (d) => {
        if (dropping) {
          firstRequest = sent; // Hangar answered, so it had the whole request: lose the answer
          client.destroy();
          up.destroy();
          return;
        }
        client.write(d);
      });
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const publicUrl = h.engine.publicUrl;
    h.engine.settings.setPublicUrl(`http://127.0.0.1:${(proxy.address() as { port: number }).port}`);
    let id = '';
    try {
      const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'lost answer', connectTimeoutSeconds: 120 } });
      id = ((await res.json()) as { id: string }).id;
      const row = await h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected', 60_000);
      const body = JSON.parse(firstRequest.slice(firstRequest.indexOf('\r\n\r\n') + 4)) as Record<string, string>;
      expect(body.proofHash).toMatch(/^[0-9a-f]{64}$/);
      expect(body.proof).toBeUndefined(); // the first request carries no secret
      expect(body.nonce).toBeUndefined();
      const reasons = (await h.engine.store.events(id)).map((e) => e.reason ?? '');
      expect(reasons.some((r) => r.includes('enrolled again'))).toBe(true);
      // The agent dropped its secrets once enrolled; what it kept is 0600.
      const dir = join(h.dataDir, 'local-servers', row.serverId!);
      const files = readdirSync(dir, { recursive: true }) as string[];
      expect(files.some((f) => f.endsWith('enroll-proof.json'))).toBe(false);
      const state = files.find((f) => f.endsWith('state.json'))!;
      expect(statSync(join(dir, state)).mode & 0o777).toBe(0o600);
    } finally {
      h.engine.settings.setPublicUrl(publicUrl);
      if (id) await destroy(id);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});
