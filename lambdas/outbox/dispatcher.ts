import type { PublishableItem } from './entries';
import { HELD_BEHIND_PARKED } from './item';
import { type MarkOutcome, type OutboxMarker, keyOf } from './marker';
import type { OutboxParker, ParkRequest } from './parker';
import type { EventBridgePublisher, PublishFailure } from './publisher';

export interface DispatchOutcome<T extends PublishableItem> {
  /** Accepted by the bus (and marked, or left for the sweep to mark when a mark failed). */
  readonly published: readonly T[];
  /** Parked now: refused for good, or held behind a parked version of their aggregate. */
  readonly parked: readonly (ParkRequest & { readonly item: T })[];
  /**
   * Still pending and worth another try soon: entries that kept failing transiently, later
   * versions held back behind them, and items whose park itself failed.
   */
  readonly retryable: readonly T[];
  /** Every entry failure of this dispatch, permanent or not, for the logs. */
  readonly failures: readonly PublishFailure<T>[];
  readonly calls: number;
  /** Milliseconds in each stage: the hold check, publishing, marking, parking (for the logs). */
  readonly stageMs: { readonly holds: number; readonly publish: number; readonly mark: number; readonly park: number };
  readonly retriedEntries: number;
  readonly mark: MarkOutcome;
  /** Parks that DynamoDB failed (their items are in `retryable`). */
  readonly parkFailures: readonly { readonly request: ParkRequest; readonly error: unknown }[];
}

/**
 * The one path from pending items to the bus, shared by the relay and the sweep: versions of
 * aggregates that have parked versions are parked behind them; the rest are published; what is
 * accepted is marked; what EventBridge refuses for good is parked together with the later
 * versions held back behind it, so a poison event never blocks its stream shard, the sweep, or
 * another aggregate, and never lets a later version of its own aggregate overtake it.
 */
export class OutboxDispatcher {
  public constructor(
    private readonly publisher: EventBridgePublisher,
    private readonly marker: OutboxMarker,
    private readonly parker: OutboxParker,
    private readonly now: () => Date = () => new Date(),
    private readonly onMarkError: (key: { aggregateId: string; version: number }, error: unknown) => void = () => undefined,
  ) {}

  /**
   * @param items pending items to publish
   * @param refused items already known to be unpublishable (malformed): parked, with the later
   *   versions of their aggregates held behind them
   */
  public async dispatch<T extends PublishableItem>(
    items: readonly T[],
    refused: readonly PublishFailure<T>[] = [],
  ): Promise<DispatchOutcome<T>> {
    const clock = stopwatch();
    const held = await this.parker.heldAggregates(items.map((item) => item.aggregateId));
    const holdsMs = clock();
    const firstRefused = new Map<string, number>();
    for (const { item } of refused) {
      firstRefused.set(item.aggregateId, Math.min(item.version, firstRefused.get(item.aggregateId) ?? Infinity));
    }
    const isHeld = (item: T): boolean => held.has(item.aggregateId) || item.version > (firstRefused.get(item.aggregateId) ?? Infinity);
    const toPublish = items.filter((item) => !isHeld(item));

    const outcome = await this.publisher.publish(toPublish);
    const publishMs = clock();
    const mark = await this.marker.markPublished(outcome.published, this.now(), this.onMarkError);
    const markMs = clock();

    const failures = [...refused, ...outcome.failed];
    const refusedForGood = new Set(failures.filter((failure) => failure.permanent).map((failure) => failure.item.aggregateId));
    const requests: (ParkRequest & { item: T })[] = [
      ...failures
        .filter((failure) => failure.permanent)
        .map((failure) => ({ ...key(failure.item), item: failure.item, errorCode: failure.errorCode, errorMessage: failure.errorMessage, attempts: failure.attempts })),
      ...[...items.filter(isHeld), ...outcome.blocked.filter((item) => refusedForGood.has(item.aggregateId))].map((item) => ({
        ...key(item),
        item,
        errorCode: HELD_BEHIND_PARKED,
        errorMessage: `Waits behind an earlier parked version of ${item.aggregateId}.`,
        attempts: 0,
      })),
    ];
    const parkOutcome = await this.parker.park(requests);
    const parkMs = clock();
    const byKey = new Map(requests.map((request) => [keyOf(request), request]));
    const requestOf = (parked: ParkRequest) => byKey.get(keyOf(parked)) as ParkRequest & { item: T };

    return {
      published: outcome.published,
      parked: parkOutcome.parked.map(requestOf),
      retryable: [
        ...outcome.failed.filter((failure) => !failure.permanent).map((failure) => failure.item),
        ...outcome.blocked.filter((item) => !refusedForGood.has(item.aggregateId)),
        ...parkOutcome.failed.map((failed) => requestOf(failed.request).item),
      ],
      failures,
      calls: outcome.calls,
      stageMs: { holds: holdsMs, publish: publishMs, mark: markMs, park: parkMs },
      retriedEntries: outcome.retriedEntries,
      mark,
      parkFailures: parkOutcome.failed,
    };
  }
}

/** Each call answers the milliseconds since the previous one (or since it was made). */
const stopwatch = (): (() => number) => {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const elapsed = Math.round(now - last);
    last = now;
    return elapsed;
  };
};

const key = (item: PublishableItem) => ({ aggregateId: item.aggregateId, version: item.version });
