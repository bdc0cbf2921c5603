/**
 * Counts failed authentication attempts per source address over a sliding minute; a source that
 * reached the limit is blocked until its oldest failure is a minute old. Bounded memory: at most
 * `maxSources` sources are tracked (the oldest is forgotten first).
 *
 * @example
 * const t = new FailureThrottle(30);
 * t.fail('203.0.113.7');
 * t.blocked('203.0.113.7'); // false until 30 failures within a minute
 */
export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxSources = 10_000,
  ) {}

  /** Record one failed attempt from `source`. */
  fail(source: string): void {
    const list = this.recent(source);
    list.push(this.now());
    this.failures.delete(source);
    this.failures.set(source, list);
    if (this.failures.size > this.maxSources) this.failures.delete(this.failures.keys().next().value!);
  }

  /** Whether `source` has used up its failures for the current minute. */
  blocked(source: string): boolean {
    return this.perMinute > 0 && this.recent(source).length >= this.perMinute;
  }

  private recent(source: string): number[] {
    const since = this.now() - 60_000;
    const list = (this.failures.get(source) ?? []).filter((t) => t > since);
    if (list.length) this.failures.set(source, list);
    else this.failures.delete(source);
    return list;
  }
}
