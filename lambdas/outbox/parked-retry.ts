import { forEachBounded } from './concurrency';
import type { OutboxItem } from './item';
import type { OutboxParker } from './parker';
import type { EventBridgePublisher, PublishFailure } from './publisher';

export interface RetryParkedOptions {
  /** Only this aggregate's parked versions. @default - every parked aggregate, longest-parked first */
  readonly aggregateId?: string;
  /** Aggregates retried at most in one run. */
  readonly maxAggregates: number;
  /** Epoch milliseconds after which no further aggregate is started. @default - none */
  readonly deadline?: number;
}

export interface RetryParkedReport {
  readonly aggregates: number;
  readonly republished: number;
  /** Versions still parked: refused again, behind one that was, or waiting behind a pending version. */
  readonly stillParked: number;
  /**
   * Of those, the versions that wait behind a version still pending (its park failed): nothing
   * refused them; the sweep parks the pending one behind the hold, and the next retry sends all.
   */
  readonly waitingBehindPending: number;
  /** Aggregates whose hold was lifted: all their versions are out, new ones flow again. */
  readonly released: number;
  readonly failures: readonly PublishFailure<OutboxItem>[];
}

/** Rounds per aggregate when new versions keep being parked behind the hold while we retry. */
const MAX_ROUNDS = 3;

/**
 * An operator's retry of parked events: each aggregate's parked versions are published again
 * in version order (one version per wave, nothing after a version that fails), marked published
 * and taken off the hold. The hold is lifted only when no version of the aggregate is parked any
 * more, and only after its versions went out, so a version written meanwhile can never overtake
 * them: until then the relay parks it behind the hold, and the next round publishes it too.
 */
export class ParkedRetry {
  public constructor(
    private readonly publisher: EventBridgePublisher,
    private readonly parker: OutboxParker,
    private readonly now: () => Date = () => new Date(),
  ) {}

  public async retry(options: RetryParkedOptions): Promise<RetryParkedReport> {
    const aggregates = options.aggregateId === undefined ? await this.parker.parkedAggregates(options.maxAggregates) : [options.aggregateId];
    const report = { aggregates: 0, republished: 0, stillParked: 0, waitingBehindPending: 0, released: 0, failures: [] as PublishFailure<OutboxItem>[] };
    await forEachBounded(aggregates, 4, async (aggregateId) => {
      if (options.deadline !== undefined && this.now().getTime() >= options.deadline) return;
      report.aggregates += 1;
      let waiting = 0;
      for (let round = 1; round <= MAX_ROUNDS; round++) {
        const parked = await this.parker.parkedOf(aggregateId);
        waiting = parked.waiting;
        if (parked.ready.length > 0) {
          const outcome = await this.publisher.publish(parked.ready);
          const publishedAt = this.now();
          for (const item of outcome.published) {
            if (await this.parker.markParkedPublished(item, publishedAt)) report.republished += 1;
          }
          for (const failure of outcome.failed) {
            await this.parker.recordFailure({ aggregateId: failure.item.aggregateId, version: failure.item.version, errorCode: failure.errorCode, errorMessage: failure.errorMessage, attempts: failure.attempts });
          }
          report.failures.push(...outcome.failed);
          if (outcome.failed.length > 0) {
            report.stillParked += outcome.failed.length + outcome.blocked.length + waiting;
            report.waitingBehindPending += waiting;
            return;
          }
        }
        const hold = await this.parker.releaseHold(aggregateId);
        if (!hold.held) {
          if (hold.existed) report.released += 1;
          return;
        }
      }
      // Still held after every round: versions parked meanwhile, or waiting behind a version
      // still pending. They stay parked, and the answer says so.
      const last = await this.parker.parkedOf(aggregateId);
      const left = last.ready.length + last.waiting;
      report.stillParked += left;
      report.waitingBehindPending += Math.min(left, waiting);
    });
    return report;
  }
}
