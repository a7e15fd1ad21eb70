import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { forEachBounded } from './concurrency';
import type { OutboxDispatcher } from './dispatcher';
import { OUTBOX_PENDING_INDEX, type OutboxItem, PENDING_SHARD_CEILING } from './item';
import { type MarkOutcome, keyOf } from './marker';
import type { PublishFailure } from './publisher';
import { correlationIdOf } from './trace-header';

export interface SweepOptions {
  /** Items pending for less than this are left to the relay. */
  readonly graceSeconds: number;
  /** At most this many items are republished per run; the rest wait for the next. */
  readonly maxItems: number;
  /** Epoch milliseconds after which no new round starts. @default - no deadline */
  readonly deadline?: number;
}

export interface SweepReport {
  /** Items the pending-index queries returned: the run's read cost. */
  readonly itemsRead: number;
  readonly republished: number;
  /** Which items were republished, by key and correlation id (for the run's log lines, never payloads). */
  readonly republishedItems: readonly RepublishedItem[];
  /** Items parked by this run: refused for good, or held behind a parked version. */
  readonly parked: number;
  readonly failed: readonly PublishFailure<OutboxItem>[];
  readonly mark: MarkOutcome;
  /** True when more items past the grace were pending than this run took. */
  readonly leftForNextRun: boolean;
  /** Age of the oldest pending item seen, grace or not; 0 when nothing is pending. */
  readonly oldestPendingAgeMs: number;
}

export interface RepublishedItem {
  readonly aggregateId: string;
  readonly version: number;
  readonly eventId: string;
  readonly correlationId?: string;
}

/** Rounds a run may take when parking keeps freeing room (each round re-reads the index). */
const MAX_ROUNDS = 10;
const SHARD_QUERY_CONCURRENCY = 8;

/**
 * Republishes what the relay missed: items still pending after a grace period, found through the
 * sparse pending index (oldest first in each shard, in pages), through the relay's own dispatcher
 * (publish, mark, park). A run reads only pending items, so its cost follows the work to do, not
 * the table. It reads every shard up to {@link PENDING_SHARD_CEILING}, not just the configured
 * count, so items written under a larger shard count are never stranded.
 *
 * Parked items leave the pending index, so they never take a run's room: when a round parks
 * something, the run goes round again until `maxItems` are republished, nothing is due, or the
 * deadline nears. A poison event therefore never starves the items behind it.
 */
export class OutboxSweeper {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly dispatcher: OutboxDispatcher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  public async sweep(options: SweepOptions): Promise<SweepReport> {
    const started = this.now();
    const cutoff = new Date(started.getTime() - options.graceSeconds * 1000).toISOString();
    const report = {
      itemsRead: 0,
      republished: 0,
      republishedItems: [] as RepublishedItem[],
      parked: 0,
      failed: [] as PublishFailure<OutboxItem>[],
      mark: { marked: 0, alreadyMarked: 0, failed: 0 },
    };
    let oldest: string | undefined;
    let shards = Array.from({ length: PENDING_SHARD_CEILING }, (_, shard) => String(shard));
    let more = false;
    // The pending index is eventually consistent: a later round may still see items this run
    // parked or published. Each item is taken once a run.
    const handled = new Set<string>();

    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const wanted = options.maxItems - report.republished;
      const due: OutboxItem[] = [];
      const dueShards = new Set<string>();
      more = false;
      await forEachBounded(shards, SHARD_QUERY_CONCURRENCY, async (shard) => {
        if (round === 1) {
          // The oldest pending item of the shard, whatever its age: the age metric, and whether
          // the shard has anything due at all (most shards cost this one read).
          const first = await this.query(shard, undefined, 1);
          report.itemsRead += first.items.length;
          const since = first.items[0]?.pendingSince;
          if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;
          if (since === undefined || since > cutoff) return;
        }
        let start: Record<string, unknown> | undefined;
        let taken = 0;
        do {
          const page = await this.query(shard, cutoff, Math.min(100, wanted - taken), start);
          report.itemsRead += page.items.length;
          due.push(...page.items);
          taken += page.items.length;
          start = page.lastKey;
        } while (start !== undefined && taken < wanted);
        if (taken > 0) dueShards.add(shard);
        more ||= start !== undefined;
      });
      // Oldest first across shards, and no more than the run may still take.
      const fresh = due.filter((item) => !handled.has(keyOf(item)));
      fresh.sort((a, b) => ((a.pendingSince ?? '') < (b.pendingSince ?? '') ? -1 : (a.pendingSince ?? '') > (b.pendingSince ?? '') ? 1 : 0));
      const batch = fresh.slice(0, wanted);
      more ||= fresh.length > batch.length;
      if (batch.length === 0) break;
      for (const item of batch) handled.add(keyOf(item));

      const outcome = await this.dispatcher.dispatch(batch);
      report.republished += outcome.published.length;
      report.republishedItems.push(
        ...outcome.published.map(({ aggregateId, version, eventId, detail }) => {
          const correlationId = correlationIdOf(detail);
          return { aggregateId, version, eventId, ...(correlationId === undefined ? {} : { correlationId }) };
        }),
      );
      report.parked += outcome.parked.length;
      report.failed.push(...outcome.failures);
      report.mark = addMarks(report.mark, outcome.mark);
      more ||= outcome.retryable.length > 0;
      const roomFreed = outcome.parked.length > 0 && report.republished < options.maxItems;
      if (!roomFreed || (options.deadline !== undefined && this.now().getTime() >= options.deadline)) break;
      shards = [...dueShards];
    }
    return {
      ...report,
      leftForNextRun: more,
      oldestPendingAgeMs: oldest === undefined ? 0 : started.getTime() - Date.parse(oldest),
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

const addMarks = (a: MarkOutcome, b: MarkOutcome): MarkOutcome => ({
  marked: a.marked + b.marked,
  alreadyMarked: a.alreadyMarked + b.alreadyMarked,
  failed: a.failed + b.failed,
});
