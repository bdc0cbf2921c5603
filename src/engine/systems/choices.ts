import { choiceOrder, newInstanceCost, type Choice, type UnitPrice } from '../../domain/budget.ts';
import { ValidationError } from '../../domain/errors.ts';
import type { CloudProvider } from '../../providers/types.ts';
import type { EngineResources } from '../resources.ts';

/** A choice with the price the cloud lists for it. */
export interface PricedChoice extends Choice {
  price: UnitPrice;
}

/** What a create resolved to before any record: the choices to walk, in order, and what to reserve. */
export interface ResolvedChoices {
  choices: PricedChoice[];
  /** This month's cost of the dearest choice: what the budget reserves until the server exists. */
  reserve: number;
  currency: string;
}

/** What the user asked for: single values or ordered lists. */
export interface ChoiceInput {
  provider: string;
  serverType?: string;
  location?: string;
  serverTypes?: string[];
  locations?: string[];
}

const listed = (one: string | undefined, many: string[] | undefined): string[] => (many?.length ? many : one ? [one] : []);

/**
 * Validate the requested server types and locations against the provider's catalogue (before any
 * record exists), fill in the provider's defaults, and price every choice in order. An unknown
 * type or location is a 400 naming the field and listing what exists; a type not offered at any
 * requested location is a 400 too.
 *
 * @example
 * const { choices } = await resolveChoices(r, provider, { provider: 'hetzner', serverTypes: ['cpx22', 'cx32'], locations: ['nbg1'] }, now);
 */
export async function resolveChoices(r: EngineResources, provider: CloudProvider, input: ChoiceInput, now: Date): Promise<ResolvedChoices> {
  const types = listed(input.serverType, input.serverTypes);
  const locations = listed(input.location, input.locations);
  const catalogue = r.catalogue;
  if (!catalogue || !provider.defaultPlacement) {
    // local and ssh: nothing to choose, nothing to pay.
    const free = choiceOrder(types.slice(0, 1), locations.slice(0, 1)).map((c) => ({ ...c, price: { hourly: 0, monthly: 0, currency: '' } }));
    return { choices: free, reserve: 0, currency: '' };
  }
  const [known, places] = await Promise.all([catalogue.serverTypes(input.provider), catalogue.locationsOf(input.provider)]);
  const badType = types.filter((t) => !known.some((k) => k.name === t));
  if (badType.length) {
    throw new ValidationError(`unknown server type ${badType.join(', ')} on ${input.provider}`, [{ field: 'serverType', message: `one of ${known.map((k) => k.name).join(', ')}` }]);
  }
  const badLoc = locations.filter((l) => !places.some((p) => p.name === l));
  if (badLoc.length) {
    throw new ValidationError(`unknown location ${badLoc.join(', ')} on ${input.provider}`, [{ field: 'location', message: `one of ${places.map((p) => p.name).join(', ')}` }]);
  }
  const d = provider.defaultPlacement();
  const order = choiceOrder(types.length ? types : [d.serverType], locations.length ? locations : [d.location]);
  const choices: PricedChoice[] = [];
  for (const c of order) {
    const p = known.find((k) => k.name === c.serverType)?.prices.find((x) => x.location === c.location);
    if (p) choices.push({ ...c, price: { hourly: p.hourly, monthly: p.monthly, currency: p.currency } });
  }
  if (!choices.length) {
    const offered = known.filter((k) => types.includes(k.name)).map((k) => `${k.name}: ${k.prices.map((p) => p.location).join(', ') || 'nowhere'}`);
    throw new ValidationError(`${order.map((c) => `${c.serverType} in ${c.location}`).join(', ')}: not offered by ${input.provider}`, [{ field: 'location', message: `where each server type is offered — ${offered.join('; ') || `defaults ${d.serverType}/${d.location}`}` }]);
  }
  const reserve = Math.max(...choices.map((c) => newInstanceCost(c.price, now)));
  return { choices, reserve, currency: choices[0].price.currency };
}
