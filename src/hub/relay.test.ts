import { describe, expect, it } from 'vitest';
import { Answers } from './relay.ts';

describe('Answers', () => {
  it('settles a waiting command once, with its answer', async () => {
    const answers = new Answers();
    const r = answers.wait('c1', 10_000);
    expect(answers.settle('c1', { ok: true, data: 1 })).toBe(true);
    expect(answers.settle('c1', { ok: false })).toBe(false);
    expect(await r).toEqual({ ok: true, data: 1 });
  });

  it('answers null at the timeout; a late answer finds nobody waiting', async () => {
    const answers = new Answers();
    expect(await answers.wait('c2', 20)).toBeNull();
    expect(answers.settle('c2', { ok: true })).toBe(false);
  });

  it('a cancelled command (never sent) is forgotten', () => {
    const answers = new Answers();
    void answers.wait('c3', 10_000);
    answers.cancel('c3');
    expect(answers.settle('c3', { ok: true })).toBe(false);
  });
});
