import { useEffect, useState } from 'react';
import { catalogue, priceOf } from '../../catalogue.ts';
import { formatPrice } from '../../format.ts';
import type { Instance, ServerType } from '../../types.ts';

/** Each listed instance's monthly price as text: the API's, or (until its catalogue is warm) priced from ours. */
export function useMonthlyPrice(items: Instance[] | null): (i: Instance) => string {
  const [types, setTypes] = useState<Record<string, ServerType[]>>({});
  const needTypes = [...new Set((items ?? []).filter((i) => i.monthlyPrice === null && i.serverType && !types[i.provider]).map((i) => i.provider))].join(',');
  useEffect(() => {
    if (!needTypes) return;
    for (const p of needTypes.split(',')) {
      catalogue
        .serverTypes(p)
        .then((t) => setTypes((cur) => ({ ...cur, [p]: t })))
        .catch(() => setTypes((cur) => ({ ...cur, [p]: [] })));
    }
  }, [needTypes]);
  return (i: Instance) => {
    if (i.monthlyPrice !== null) return formatPrice(i.monthlyPrice, i.currency, i.provider);
    const p = priceOf(types[i.provider], i.serverType, i.location);
    return formatPrice(p?.monthly ?? null, p?.currency, i.provider);
  };
}
