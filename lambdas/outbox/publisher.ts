import { setTimeout as sleep } from 'node:timers/promises';
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { forEachBounded } from './concurrency';
import { DEFAULT_MAX_REQUEST_BYTES, type PublishableItem, entrySize, packCalls, toEntry } from './entries';

/** Entry error codes EventBridge documents as retryable; every other code is permanent. */
const RETRYABLE_ENTRY_CODES: ReadonlySet<string> = new Set(['InternalFailure', 'ThrottlingException']);

/** Our own code for an item whose entry can never fit in a request. */
export const ENTRY_TOO_LARGE = 'EntryTooLarge';

export interface EventBridgePublisherOptions {
  readonly eventBusName: string;
  /**
   * The request size limit, counted as EventBridge counts it.
   * @default 262144 (256 KB; AWS allows 1 MB since 2026)
   */
  readonly maxRequestBytes?: number;
  /** `PutEvents` calls in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Attempts for an entry that keeps failing transiently, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** @default 50 ms, doubled per attempt, full jitter */
  readonly baseDelayMs?: number;
  /** @default 2000 ms */
  readonly maxDelayMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface PublishFailure<T extends PublishableItem> {
  readonly item: T;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** False when the entry kept failing with a retryable code until the attempts ran out. */
  readonly permanent: boolean;
  /** Times the entry was sent (0 when it never could be). */
  readonly attempts: number;
}

export interface PublishOutcome<T extends PublishableItem> {
  readonly published: T[];
  readonly failed: PublishFailure<T>[];
  /** Items not sent because an earlier version of their aggregate failed. */
  readonly blocked: T[];
  calls: number;
  /** Entries sent again after a retryable failure. */
  retriedEntries: number;
}

interface Pending<T> {
  readonly item: T;
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
  lastCode: string;
  lastMessage: string;
}

/**
 * Publishes outbox items to one EventBridge bus, as few calls as the limits allow, and never
 * reports an item published that EventBridge did not accept: every `PutEvents` answer is read
 * entry by entry (a 200 can carry failures), retryable entries are sent again with backoff, and
 * the rest are reported.
 *
 * Order per aggregate: items are sent in waves, the lowest unsent version of each aggregate per
 * wave; an aggregate whose version fails sends nothing after it. EventBridge keeps no order
 * between calls, so this is about never announcing v+1 while v is unannounced, not delivery order.
 */
export class EventBridgePublisher {
  private readonly maxRequestBytes: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  public constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventBridgePublisherOptions,
  ) {
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.random = options.random ?? Math.random;
  }

  public async publish<T extends PublishableItem>(items: readonly T[]): Promise<PublishOutcome<T>> {
    const outcome: PublishOutcome<T> = { published: [], failed: [], blocked: [], calls: 0, retriedEntries: 0 };
    const byAggregate = new Map<string, T[]>();
    for (const item of items) {
      byAggregate.set(item.aggregateId, [...(byAggregate.get(item.aggregateId) ?? []), item]);
    }
    const queues = [...byAggregate.values()].map((queue) => queue.sort((a, b) => a.version - b.version));

    while (queues.some((queue) => queue.length > 0)) {
      const wave = queues.filter((queue) => queue.length > 0).map((queue) => queue.shift() as T);
      const failedAggregates = await this.publishWave(wave, outcome);
      for (const queue of queues) {
        if (queue.length > 0 && failedAggregates.has(queue[0]?.aggregateId ?? '')) {
          outcome.blocked.push(...queue.splice(0));
        }
      }
    }
    return outcome;
  }

  /** Publishes one version of each of several aggregates; returns the aggregates that failed. */
  private async publishWave<T extends PublishableItem>(wave: T[], outcome: PublishOutcome<T>): Promise<Set<string>> {
    const failedAggregates = new Set<string>();
    let pending: Pending<T>[] = [];
    for (const item of wave) {
      const { entry, size } = this.entryOf(item);
      if (size > this.maxRequestBytes) {
        outcome.failed.push({
          item,
          errorCode: ENTRY_TOO_LARGE,
          errorMessage: `The entry is ${size} bytes; a PutEvents request takes at most ${this.maxRequestBytes}.`,
          permanent: true,
          attempts: 0,
        });
        failedAggregates.add(item.aggregateId);
      } else {
        pending.push({ item, entry, size, lastCode: '', lastMessage: '' });
      }
    }

    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) {
        outcome.retriedEntries += pending.length;
        await sleep(this.backoffMs(attempt - 1));
      }
      const calls = packCalls(pending, (p) => p.size, this.maxRequestBytes);
      const retry: Pending<T>[] = [];
      await forEachBounded(calls, this.concurrency, async (call) => {
        outcome.calls += 1;
        for (const result of await this.send(call)) {
          if (result.eventId !== undefined) {
            outcome.published.push(result.pending.item);
          } else if (RETRYABLE_ENTRY_CODES.has(result.code) && attempt < this.maxAttempts) {
            result.pending.lastCode = result.code;
            result.pending.lastMessage = result.message;
            retry.push(result.pending);
          } else {
            outcome.failed.push({
              item: result.pending.item,
              errorCode: result.code,
              errorMessage: result.message,
              permanent: !RETRYABLE_ENTRY_CODES.has(result.code),
              attempts: attempt,
            });
            failedAggregates.add(result.pending.item.aggregateId);
          }
        }
      });
      pending = retry;
    }
    return failedAggregates;
  }

  /**
   * The item's entry and its size. The trace header is a convenience: an entry that fits only
   * without it goes out without it, rather than being refused as too large.
   */
  private entryOf(item: PublishableItem): { entry: PutEventsRequestEntry; size: number } {
    const entry = toEntry(item, this.options.eventBusName);
    const size = entrySize(entry);
    if (size <= this.maxRequestBytes || entry.TraceHeader === undefined) return { entry, size };
    const { TraceHeader: _dropped, ...untraced } = entry;
    return { entry: untraced, size: entrySize(untraced) };
  }

  /**
   * One `PutEvents` call. A call that fails as a whole (after the SDK's own retries) counts as a
   * retryable failure of each of its entries; a call refused as invalid fails them for good.
   */
  private async send<T>(
    call: Pending<T>[],
  ): Promise<{ pending: Pending<T>; eventId?: string; code: string; message: string }[]> {
    try {
      const response = await this.client.send(new PutEventsCommand({ Entries: call.map((p) => p.entry) }));
      const entries = response.Entries ?? [];
      return call.map((pending, index) => {
        const result = entries[index];
        if (result?.EventId !== undefined && result.ErrorCode === undefined) {
          return { pending, eventId: result.EventId, code: '', message: '' };
        }
        return {
          pending,
          code: result?.ErrorCode ?? 'InternalFailure',
          message: result?.ErrorMessage ?? 'PutEvents returned no result for this entry.',
        };
      });
    } catch (error: unknown) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      const message = error instanceof Error ? error.message : String(error);
      if (name === 'ValidationException' && call.length > 1) {
        // One bad entry refuses the whole call: send each alone, so only that one is refused.
        const alone = await Promise.all(call.map((pending) => this.send([pending])));
        return alone.flat();
      }
      const code = name === 'ValidationException' ? 'ValidationException' : 'InternalFailure';
      return call.map((pending) => ({ pending, code, message: `${name}: ${message}` }));
    }
  }

  private backoffMs(retry: number): number {
    return Math.floor(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1)));
  }
}
