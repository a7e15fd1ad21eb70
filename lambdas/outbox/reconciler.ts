import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OUTBOX_PENDING_INDEX, type OutboxItem } from './item';
import type { MarkOutcome, OutboxMarker } from './marker';
import type { EventBridgePublisher, PublishFailure } from './publisher';

export interface SweepOptions {
  /** Items pending for less than this are left to the relay. */
  readonly graceSeconds: number;
  /** At most this many items are republished per run; the rest wait for the next. */
  readonly maxItems: number;
}

export interface SweepReport {
  /** Items the pending-index queries returned: the run's read cost. */
  readonly itemsRead: number;
  readonly republished: number;
  readonly failed: readonly PublishFailure<OutboxItem>[];
  readonly mark: MarkOutcome;
  /** True when more items past the grace were pending than this run took. */
  readonly leftForNextRun: boolean;
  /** Age of the oldest pending item seen, grace or not; 0 when nothing is pending. */
  readonly oldestPendingAgeMs: number;
}

/**
 * Republishes what the relay missed: items still pending after a grace period, found through the
 * sparse pending index (oldest first in each shard, in pages), with the relay's own publisher and
 * marker. A run reads only pending items, so its cost follows the work to do, not the table.
 */
export class OutboxSweeper {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly pendingShards: number,
    private readonly publisher: EventBridgePublisher,
    private readonly marker: OutboxMarker,
    private readonly now: () => Date = () => new Date(),
  ) {}

  public async sweep(options: SweepOptions): Promise<SweepReport> {
    const now = this.now();
    const cutoff = new Date(now.getTime() - options.graceSeconds * 1000).toISOString();
    let itemsRead = 0;
    let oldest: string | undefined;
    let more = false;
    const due: OutboxItem[] = [];
    for (let shard = 0; shard < this.pendingShards; shard++) {
      // The oldest pending item of the shard, whatever its age, for the age metric.
      const first = await this.query(String(shard), undefined, 1);
      itemsRead += first.items.length;
      const since = first.items[0]?.pendingSince;
      if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;

      let start: Record<string, unknown> | undefined;
      let taken = 0;
      do {
        const page = await this.query(String(shard), cutoff, Math.min(100, options.maxItems - taken), start);
        itemsRead += page.items.length;
        due.push(...page.items);
        taken += page.items.length;
        start = page.lastKey;
      } while (start !== undefined && taken < options.maxItems);
      more ||= start !== undefined;
    }
    // Oldest first across shards, and no more than a run may take.
    due.sort((a, b) => (a.pendingSince ?? '').localeCompare(b.pendingSince ?? ''));
    const batch = due.slice(0, options.maxItems);
    more ||= due.length > batch.length;

    const outcome = await this.publisher.publish(batch);
    const mark = await this.marker.markPublished(outcome.published, this.now());
    return {
      itemsRead,
      republished: outcome.published.length,
      failed: outcome.failed,
      mark,
      leftForNextRun: more || outcome.failed.length > 0 || outcome.blocked.length > 0,
      oldestPendingAgeMs: oldest === undefined ? 0 : now.getTime() - Date.parse(oldest),
    };
  }

  private async query(
    shard: string,
    cutoff: string | undefined,
    limit: number,
    start?: Record<string, unknown>,
  ): Promise<{ items: OutboxItem[]; lastKey?: Record<string, unknown> }> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: OUTBOX_PENDING_INDEX.indexName,
        KeyConditionExpression:
          cutoff === undefined ? 'pendingShard = :shard' : 'pendingShard = :shard AND pendingSince <= :cutoff',
        ExpressionAttributeValues: { ':shard': shard, ...(cutoff === undefined ? {} : { ':cutoff': cutoff }) },
        ScanIndexForward: true,
        Limit: Math.max(1, limit),
        ExclusiveStartKey: start,
      }),
    );
    return { items: (page.Items ?? []) as OutboxItem[], ...(page.LastEvaluatedKey === undefined ? {} : { lastKey: page.LastEvaluatedKey }) };
  }
}
