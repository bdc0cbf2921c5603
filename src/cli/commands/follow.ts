import type { HangarClient } from '../client.ts';
import type { Context } from '../context.ts';
import { parseTimeout } from '../errors.ts';
import { StepTracker, waitFor } from '../watch.ts';

/** Stream an instance's events as steps until a transition reaches one of `until`. */
export async function follow(ctx: Context, client: HangarClient, id: string, until: string[], timeout?: string, after = 0): Promise<'reached' | 'timeout' | 'interrupted'> {
  const timeoutSeconds = parseTimeout(timeout);
  const view = ctx.progress();
  const tracker = new StepTracker(view);
  try {
    const outcome = await waitFor(client, id, tracker, {
      until,
      after,
      timeoutSeconds,
      onReconnect: (n, err) => view.note('warning', `event stream dropped (${err.message}); reconnecting (attempt ${n})`),
    });
    if (outcome.kind !== 'reached') view.stop(outcome.kind);
    return outcome.kind;
  } catch (err) {
    view.stop('error');
    throw err;
  }
}
