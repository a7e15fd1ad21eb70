/**
 * Keeps a local emulator's housekeeping (full-table scans: TTL deletion, outbox counts) to a
 * share of DynamoDB Local's time. A scan costs the engine time in proportion to the table (about
 * 3 s for 60,000 items here), and DynamoDB Local serves one table's requests largely one after
 * another; a scan every 2 s on a grown table would leave the engine no time for the app's own
 * traffic. So a run never overlaps the previous one, and the next starts only after a pause that
 * keeps the work to `share` of the time, or after `minIntervalMs`, whichever is later. On a small
 * table (every test) that is the minimum interval, as before.
 */
export const pauseAfter = (durationMs: number, minIntervalMs: number, share: number): number =>
  Math.max(minIntervalMs, durationMs / share - durationMs);

export interface PacedLoop {
  stop(): Promise<void>;
}

/** Runs `task` now and again and again, paced as `pauseAfter` says, until stopped. */
export const pacedLoop = (task: () => Promise<void>, options: { readonly minIntervalMs: number; readonly share: number }): PacedLoop => {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      const started = Date.now();
      running = task()
        .catch(() => undefined)
        .finally(() => schedule(pauseAfter(Date.now() - started, options.minIntervalMs, options.share)));
    }, delayMs);
  };
  schedule(options.minIntervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
};

/**
 * A value worth a scan, kept while it is young compared with what it cost: recomputed when asked
 * after `pauseAfter(cost)` has passed since the last computation, else the last value is given
 * (so it may be that old; only a value that took `freshUnderMs` or more is ever reused).
 */
export class PacedValue<T> {
  private last: { value: T; at: number; costMs: number } | undefined;
  private inFlight: Promise<T> | undefined;

  /**
   * @param options.freshUnderMs a value that cost less than this is recomputed at every ask (a
   *   small table: exact counts, as tests expect)
   */
  public constructor(
    private readonly compute: () => Promise<T>,
    private readonly options: { readonly share: number; readonly freshUnderMs: number },
  ) {}

  public async get(now = Date.now()): Promise<T> {
    const last = this.last;
    if (last !== undefined && last.costMs >= this.options.freshUnderMs && now - last.at < pauseAfter(last.costMs, 0, this.options.share)) {
      return last.value;
    }
    if (this.inFlight !== undefined) return this.inFlight;
    const computing = (async () => {
      const started = Date.now();
      try {
        const value = await this.compute();
        this.last = { value, at: Date.now(), costMs: Date.now() - started };
        return value;
      } finally {
        this.inFlight = undefined;
      }
    })();
    this.inFlight = computing;
    return computing;
  }
}
