import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetConsistent } from './batch-get';
import type { OutboxKey } from './marker';

export const keyOf = (key: OutboxKey): string => `${key.aggregateId}#${key.version}`;

/**
 * Reads the current status of outbox items. The relay asks it about stream records old enough
 * that the sweep may have published them already (it takes items older than its grace), so a
 * relay running behind does not send them a second time.
 */
export class OutboxStatusReader {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: { readonly tableName: string },
  ) {}

  /**
   * The keys (as {@link keyOf}) among `keys` that are no longer pending: published, parked, or
   * gone (only published items are given a TTL, so a missing item was published and pruned).
   */
  public async notPending(keys: readonly OutboxKey[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const items = await batchGetConsistent(
      this.client,
      keys.map((key) => ({ aggregateId: key.aggregateId, version: key.version })),
      { tableName: this.options.tableName, projection: 'aggregateId, version, #status', names: { '#status': 'status' }, what: 'outbox items' },
    );
    const pending = new Set(items.filter((item) => item.status === 'PENDING').map((item) => keyOf(item as unknown as OutboxKey)));
    return new Set(keys.map(keyOf).filter((key) => !pending.has(key)));
  }
}

/**
 * The keys of items this environment published, newest kept, at most `capacity`: a stream batch
 * Lambda retries (a transient failure later in the batch, a timeout) usually comes back to the
 * same environment, which then skips what it already sent instead of sending it again.
 */
export class RecentlyPublished {
  private readonly keys = new Set<string>();

  public constructor(private readonly capacity: number = 20_000) {}

  public has(key: OutboxKey): boolean {
    return this.keys.has(keyOf(key));
  }

  public add(key: OutboxKey): void {
    const k = keyOf(key);
    this.keys.delete(k);
    this.keys.add(k);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }
}
