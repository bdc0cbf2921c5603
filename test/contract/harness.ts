/**
 * Shared bits of the contract tests: run a client call through Prism and fail if the vendor's
 * spec rejected any request it sent; track which spec operations the clients exercised.
 *
 * @example
 * const c = contract(prism, 'hetzner');
 * const server = await c.accepted(() => hz.createServer(spec));
 * expect(c.operations()).toEqual(expect.arrayContaining(['POST /servers']));
 */
import { expect } from 'vitest';
import { matchPathTemplate, type SpecVendor } from '../emulators/spec-schemas.ts';
import type { Exchange, PrismMock } from './prism.ts';

export interface Contract {
  /** Run `fn`; every request it sent must have passed the spec. Resolves with fn's result. */
  accepted<T>(fn: () => Promise<T>): Promise<T>;
  /** Like accepted, for a call expected to throw (after sending valid requests). */
  acceptedFailure(fn: () => Promise<unknown>): Promise<unknown>;
  /** `METHOD /template` of every accepted exchange so far. */
  operations(): string[];
}

const describeExchanges = (ex: Exchange[]) => ex.map((e) => `${e.method} ${e.path} → ${e.status} ${e.prismError ?? ''} ${e.violations ?? ''}`).join('\n');

export function contract(prism: PrismMock, vendor: SpecVendor): Contract {
  const accepted: Exchange[] = [];
  const check = (mark: number) => {
    const ex = prism.since(mark);
    expect(ex.length, 'the call sent no request through Prism').toBeGreaterThan(0);
    const bad = ex.filter((e) => prism.rejected().includes(e));
    expect(bad, `the ${vendor} spec rejected requests:\n${describeExchanges(bad)}`).toEqual([]);
    accepted.push(...ex);
  };
  return {
    async accepted(fn) {
      const mark = prism.exchanges.length;
      const out = await fn();
      check(mark);
      return out;
    },
    async acceptedFailure(fn) {
      const mark = prism.exchanges.length;
      const err = await fn().then(
        () => {
          throw new Error('expected the call to fail');
        },
        (e: unknown) => e,
      );
      check(mark);
      return err;
    },
    operations() {
      const ops = new Set<string>();
      for (const e of accepted) {
        const t = matchPathTemplate(vendor, e.path.split('?')[0]);
        ops.add(`${e.method} ${t ?? e.path}`);
      }
      return [...ops].sort();
    },
  };
}
