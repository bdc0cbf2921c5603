import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-projects');
});
afterAll(async () => {
  await h?.close();
});

describe('project routes', () => {
  it('creates, lists and removes projects, naming the field of a bad name', async () => {
    const bad = await h.api('/v1/projects', { method: 'POST', json: { name: 'No Spaces' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0].field).toBe('name');
    const made = await h.api('/v1/projects', { method: 'POST', json: { name: 'team-a' } });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ name: 'team-a', createdBy: 'api:admin', liveInstances: 0 });
    expect(((await (await h.api('/v1/projects')).json()) as { items: { name: string }[] }).items.map((p) => p.name)).toEqual(['default', 'team-a']);
    expect((await h.api('/v1/projects/team-a', { method: 'DELETE' })).status).toBe(204);
    expect((await h.api('/v1/projects/team-a', { method: 'DELETE' })).status).toBe(404);
    expect((await h.api('/v1/projects/..%2F..', { method: 'DELETE' })).status).toBe(404);
  });
});
