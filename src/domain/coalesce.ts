/**
 * One run of `body` at a time: a call to `run` while it runs is not lost, it makes `body` run
 * once more when it finishes (however many calls came meanwhile). `body` answers `false` to stop,
 * `'again'` to run once more itself, anything else to stop unless a call came meanwhile.
 *
 * @example
 * const pump = new Coalesced(async () => (await claimSome()) === batchSize ? 'again' : true);
 * void pump.run(); void pump.run(); // the second call runs the body once more after the first
 */
export class Coalesced {
  private running = false;
  private again = false;

  constructor(private readonly body: () => Promise<boolean | 'again' | void>) {}

  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const r = await this.body();
        if (r === false) return;
        if (r === 'again') this.again = true;
      } while (this.again);
    } finally {
      this.running = false;
    }
  }
}
