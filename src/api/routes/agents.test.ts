import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-agents');
});
afterAll(async () => {
  await h?.close();
});

describe('agent routes', () => {
  it('serves exactly the bundle whose sha256 user-data pins', async () => {
    const bundle = Buffer.from(await (await fetch(`${h.url}/v1/agent/bundle`)).arrayBuffer());
    const plan = (await (await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: 'local', name: 'pin' } })).json()) as { userData: string };
    const files = (parse(plan.userData) as { write_files: { content: string }[] }).write_files.map((f) => f.content).join('\n');
    expect(files).toContain(`AGENT_SHA256=${createHash('sha256').update(bundle).digest('hex')}`);
  });

  it('enrollment needs a live token; an agent route needs an agent key', async () => {
    const enroll = await fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: `hgb_${'x'.repeat(43)}` }) });
    expect(enroll.status).toBe(401);
    expect((await fetch(`${h.url}/v1/agents/update?version=1.0.0`)).status).toBe(401);
    expect((await h.api('/v1/agents/update?version=1.0.0')).status).toBe(401);
  });
});
