import { describe, expect, it } from 'vitest';
import { Coalesced } from './coalesce.ts';

describe('Coalesced', () => {
  it('runs one body at a time, and once more for any calls that came while it ran', async () => {
    let runs = 0;
    let active = 0;
    let most = 0;
    const c = new Coalesced(async () => {
      runs++;
      most = Math.max(most, ++active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
    });
    await Promise.all([c.run(), c.run(), c.run(), c.run()]);
    await new Promise((r) => setTimeout(r, 30));
    expect(most).toBe(1);
    expect(runs).toBe(2);
  });

  it("runs again when the body says 'again', and stops at false even if called meanwhile", async () => {
    const answers: (boolean | 'again')[] = ['again', 'again', true];
    let runs = 0;
    await new Coalesced(async () => answers[runs++]).run();
    expect(runs).toBe(3);
    let stopped = 0;
    const c = new Coalesced(async () => {
      stopped++;
      void c.run();
      return false;
    });
    await c.run();
    expect(stopped).toBe(1);
  });
});
