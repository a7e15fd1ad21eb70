import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetConsistent } from './batch-get';
import { type OutboxKey, keyOf } from './marker';

/** What a status check found, by {@link keyOf}. Keys read back as pending are in none of them. */
export interface OutboxStatuses {
  /** On the bus already (the sweep or another relay invocation got there first). */
  readonly published: ReadonlySet<string>;
  /** Parked: waits for an operator's retry, which publishes it in version order. */
  readonly parked: ReadonlySet<string>;
  /**
   * Not in the table at all. Never a published item TTL pruned: retention is at least a day and
   * a stream keeps a record for 24 hours, so the stream image is then the event's last copy.
   */
  readonly missing: ReadonlySet<string>;
}

/**
 * Reads the current status of outbox items. The relay asks it about stream records old enough
 * that the scheduled sweep may have published them already (it takes items past its grace), so a
 * relay running behind does not send them a second time.
 */
export class OutboxStatusReader {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: { readonly tableName: string },
  ) {}

  public async statusOf(keys: readonly OutboxKey[]): Promise<OutboxStatuses> {
    const found = new Map<string, unknown>();
    if (keys.length > 0) {
      const items = await batchGetConsistent(
        this.client,
        keys.map((key) => ({ aggregateId: key.aggregateId, version: key.version })),
        { tableName: this.options.tableName, projection: 'aggregateId, version, #status', names: { '#status': 'status' }, what: 'outbox items' },
      );
      for (const item of items) found.set(keyOf(item as unknown as OutboxKey), item.status);
    }
    const wanted = keys.map(keyOf);
    return {
      published: new Set(wanted.filter((key) => found.get(key) === 'PUBLISHED')),
      parked: new Set(wanted.filter((key) => found.get(key) === 'PARKED')),
      missing: new Set(wanted.filter((key) => !found.has(key))),
    };
  }
}

/**
 * The `eventId`s of events this environment published and marked, newest kept, at most
 * `capacity`. Lambda restarts a failed stream batch at its earliest failed record, usually in the
 * same environment, which then skips the events after it that it already sent instead of sending
 * them again. (An environment that crashed or timed out is gone, and its memory with it.)
 */
export class RecentlyPublished {
  private readonly eventIds = new Set<string>();

  public constructor(private readonly capacity: number = 20_000) {}

  public has(eventId: string): boolean {
    return this.eventIds.has(eventId);
  }

  public add(eventId: string): void {
    this.eventIds.delete(eventId);
    this.eventIds.add(eventId);
    if (this.eventIds.size > this.capacity) {
      const oldest = this.eventIds.values().next().value;
      if (oldest !== undefined) this.eventIds.delete(oldest);
    }
  }
}
