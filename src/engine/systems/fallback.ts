import { capacityVerdict } from '../../domain/budget.ts';
import { ProviderError } from '../../domain/errors.ts';
import type { ServerInfo } from '../../providers/types.ts';
import type { EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';

/** The vendor's own words, without the `provider: code: ` prefix ProviderError adds. */
const said = (err: ProviderError) => err.message.replace(`${err.provider}: ${err.code}: `, '');

const where = (c: { serverType: string | null; location: string | null }) => `${c.serverType ?? 'default type'} in ${c.location ?? 'default location'}`;

/**
 * Create a server, walking the instance's capacity choices: a vendor "no capacity here" error
 * (`resource_unavailable`, `placement_error`, DigitalOcean's region/size unavailable) moves to the
 * next (type, location) with a warning event naming the vendor code; each choice is tried once,
 * one after the other (no retry loop); when none is left it fails for good. An account quota
 * (`resource_limit_exceeded`) fails at once: no other choice would help.
 *
 * @example
 * const server = await withCapacityFallback(r, row, (c) => provider.createServer({ ...spec, ...c }));
 */
export async function withCapacityFallback(
  r: EngineResources,
  row: InstanceRow,
  create: (choice: { serverType?: string; location?: string }) => Promise<ServerInfo>,
): Promise<ServerInfo> {
  const tried: string[] = [];
  for (;;) {
    const current = { serverType: row.serverType, location: row.location };
    try {
      return await create({ serverType: current.serverType ?? undefined, location: current.location ?? undefined });
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const verdict = capacityVerdict(err.code);
      if (verdict === 'fail_now') {
        throw new ProviderError(err.provider, err.code, `the ${err.provider} account's quota is used up (${said(err)}); destroy servers or ask ${err.provider} to raise the limit, then create again`, err.httpStatus, false);
      }
      if (verdict !== 'next_choice') throw err;
      tried.push(where(current));
      const [next, ...rest] = row.fallbackChoices ?? [];
      if (!next) {
        throw new ProviderError(err.provider, err.code, `no capacity in any choice (${tried.join(', ')}): ${said(err)}; try other server types or locations (--type a,b --location x,y)`, err.httpStatus, false);
      }
      const price = r.catalogue ? await r.catalogue.price(row.provider, next.serverType, next.location).catch(() => null) : null;
      await r.store.event(row.id, {
        actor: 'engine',
        kind: 'warning',
        reason: `${err.provider} answered ${err.code} for ${where(current)}: trying ${where(next)}`,
        data: { code: err.code, from: current, to: next, left: rest.length },
      });
      row = await r.store.update(row.id, {
        serverType: next.serverType,
        location: next.location,
        fallbackChoices: rest,
        ...(price ? { priceHourly: price.hourly, priceMonthly: price.monthly, priceCurrency: price.currency || null } : {}),
      });
      if (price) await r.ledger?.reprice(row.id, price);
    }
  }
}
