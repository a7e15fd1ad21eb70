import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { batchGetConsistent } from './batch-get';
import { forEachBounded } from './concurrency';
import {
  OUTBOX_OCCURRED_INDEX,
  OUTBOX_PENDING_INDEX,
  type OutboxItem,
  PENDING_SHARD_CEILING,
  dayBucketsBetween,
} from './item';
import type { ParkedRetry, RetryParkedReport } from './parked-retry';
import { parkedIndexQuery } from './parker';
import { outboxItemsOf } from './reader';
import type { EventBridgePublisher, PublishFailure } from './publisher';

export interface OutboxOperationsOptions {
  readonly tableName: string;
  /** How long published items stay before TTL prunes them (what a replay can still find). */
  readonly retentionSeconds: number;
}

export interface OutboxStatusReport {
  readonly pending: number;
  /**
   * Published items still in the outbox (TTL prunes them after the retention). Derived from the
   * table's `ItemCount`, which DynamoDB refreshes about every six hours: an estimate on AWS.
   */
  readonly published: number;
  readonly publishedApproximate: true;
  readonly parked: number;
  readonly oldestPendingAgeMs: number;
  readonly oldestParkedAgeMs: number;
}

export interface ParkedEvent {
  readonly aggregateId: string;
  readonly version: number;
  readonly eventId?: string;
  readonly detailType?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly parkedAt: string;
  readonly publishAttempts?: number;
}

/** One failed entry of a replay or a retry: which event, and EventBridge's reason. */
export interface OperationFailure {
  readonly aggregateId: string;
  readonly version: number;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** An event a replay sent again. */
export interface ReplayedEvent {
  readonly aggregateId: string;
  readonly version: number;
  readonly eventId: string;
  readonly detailType: string;
}

/** What a retry of parked events answers: its counts, and the failures (the first {@link MAX_LISTED_EVENTS}). */
export type RetryParkedAnswer = Omit<RetryParkedReport, 'failures'> & { readonly failed: OperationFailure[]; readonly failedCount: number };

export interface ReplayReport {
  /** Events of the window (or order) found in the outbox. */
  readonly found: number;
  readonly replayed: number;
  /** Events not yet published: the relay or the sweep publishes them (a replay would only duplicate them). */
  readonly skippedPending: number;
  /** Parked events: only `retry-parked` sends them, in version order behind their hold. */
  readonly skippedParked: number;
  /** Events not replayed: the first {@link MAX_LISTED_EVENTS}, and how many in all. */
  readonly failed: readonly OperationFailure[];
  readonly failedCount: number;
  /**
   * The events sent, the first {@link MAX_LISTED_EVENTS} of them (a synchronous answer is at most
   * 6 MB); `replayed` counts them all.
   */
  readonly replayedEvents: readonly ReplayedEvent[];
  /** Where a window replay stopped (pass it back to go on); absent when the window is done. */
  readonly cursor?: string;
  /** Index partitions of the window read so far, and in all (a window replay's progress). */
  readonly progress?: { readonly done: number; readonly total: number };
  readonly retentionSeconds: number;
}

/** An event as the outbox stored it, for a caller that must not trust another copy (a dead letter). */
export interface StoredOutboxEvent {
  readonly aggregateId: string;
  readonly version: number;
  readonly eventId: string;
  readonly source: string;
  readonly detailType: string;
  readonly occurredAt: string;
  readonly status: string;
  /** The `detail` exactly as published (parsed). */
  readonly detail: unknown;
}

/** A window replay's position: its window, the index partition it is in, and where in it. */
const windowCursor = z
  .object({
    window: z.string(),
    partition: z.number().int().min(0),
    startKey: z.object({ aggregateId: z.string(), version: z.number(), occurredKey: z.string(), occurredAt: z.string() }).strict().optional(),
  })
  .strict();
type WindowCursor = z.infer<typeof windowCursor>;

/** Where a listing of the parked index stopped (its last key). */
const parkedCursor = z.object({ aggregateId: z.string(), version: z.number(), parkedKey: z.string(), parkedAt: z.string() }).strict();

/**
 * The longest window a replay takes: published items live for the retention (7 days by default)
 * and then only in the bus archive, so a longer window would only read empty index partitions.
 */
export const MAX_REPLAY_WINDOW_DAYS = 93;

/** Replayed events an answer lists at most (each ~150 B; a synchronous Lambda answer is at most 6 MB). */
export const MAX_LISTED_EVENTS = 1000;

/** Appends `items` to `list` while it holds fewer than {@link MAX_LISTED_EVENTS}. */
export const appendCapped = <T>(list: T[], items: readonly T[]): void => {
  list.push(...items.slice(0, Math.max(0, MAX_LISTED_EVENTS - list.length)));
};

/** Shard queries in flight at once while counting the pending index. */
const SHARD_QUERY_CONCURRENCY = 10;
/** Index keys read a page while replaying a window (each page is one consistent batch read). */
const REPLAY_PAGE = 100;

/**
 * What an operator does to an outbox (the operations CLI invokes these through the operations
 * function): its status from the indexes, the parked events, a retry of parked events, and a
 * replay of published events with their original `eventId`s. Reads go through the sparse indexes
 * and the `occurred` index, never a scan.
 */
export class OutboxOperations {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly publisher: EventBridgePublisher,
    private readonly retry: ParkedRetry,
    private readonly options: OutboxOperationsOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Pending (every shard up to the ceiling), parked, and published as the table's item count leaves them. */
  public async status(): Promise<OutboxStatusReport> {
    let pending = 0;
    let oldest: string | undefined;
    const shards = Array.from({ length: PENDING_SHARD_CEILING }, (_, shard) => String(shard));
    await forEachBounded(shards, SHARD_QUERY_CONCURRENCY, async (shard) => {
      const key = {
        TableName: this.options.tableName,
        IndexName: OUTBOX_PENDING_INDEX.indexName,
        KeyConditionExpression: '#shard = :shard',
        ExpressionAttributeNames: { '#shard': OUTBOX_PENDING_INDEX.partitionKey },
        ExpressionAttributeValues: { ':shard': shard },
      };
      const first = await this.client.send(new QueryCommand({ ...key, Limit: 1, ScanIndexForward: true }));
      const since = first.Items?.[0]?.pendingSince as string | undefined;
      if (since === undefined) return;
      if (oldest === undefined || since < oldest) oldest = since;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(new QueryCommand({ ...key, Select: 'COUNT', ExclusiveStartKey: start }));
        pending += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    });
    const parked = await this.parkedIndex();
    const table = await this.client.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    const items = table.Table?.ItemCount ?? 0;
    const now = this.now().getTime();
    return {
      pending,
      // Every item is an event (pending, published or parked) or the hold record of a parked aggregate.
      published: Math.max(0, items - pending - parked.count - parked.aggregates),
      publishedApproximate: true,
      parked: parked.count,
      oldestPendingAgeMs: oldest === undefined ? 0 : Math.max(0, now - Date.parse(oldest)),
      oldestParkedAgeMs: parked.oldestParkedAt === undefined ? 0 : Math.max(0, now - Date.parse(parked.oldestParkedAt)),
    };
  }

  /** The parked index read whole (parked items are few: each one pages someone). */
  private async parkedIndex(): Promise<{ count: number; aggregates: number; oldestParkedAt?: string }> {
    let count = 0;
    let oldestParkedAt: string | undefined;
    const aggregates = new Set<string>();
    let start: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({ ...parkedIndexQuery(this.options.tableName), ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) {
        count += 1;
        aggregates.add(String(item.aggregateId));
        const at = item.parkedAt as string | undefined;
        if (at !== undefined && (oldestParkedAt === undefined || at < oldestParkedAt)) oldestParkedAt = at;
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return { count, aggregates: aggregates.size, ...(oldestParkedAt === undefined ? {} : { oldestParkedAt }) };
  }

  /**
   * The stored events of these keys (strongly consistent), so a redrive projects what the outbox
   * published, never what a queue message claims; keys with no item are left out.
   */
  public async storedEvents(keys: readonly { aggregateId: string; version: number }[]): Promise<StoredOutboxEvent[]> {
    const items = (await batchGetConsistent(this.client, keys, { tableName: this.options.tableName, what: 'outbox items' })) as unknown as OutboxItem[];
    return items.map((item) => ({
      aggregateId: item.aggregateId,
      version: item.version,
      eventId: item.eventId,
      source: item.source,
      detailType: item.detailType,
      occurredAt: item.occurredAt,
      status: item.status,
      detail: JSON.parse(item.detail) as unknown,
    }));
  }

  /** The parked events, the longest-parked first, `limit` a page. */
  public async parked(limit: number, cursor?: string): Promise<{ items: ParkedEvent[]; cursor?: string }> {
    const page = await this.client.send(
      new QueryCommand({
        ...parkedIndexQuery(this.options.tableName),
        Limit: limit,
        ...(cursor === undefined ? {} : { ExclusiveStartKey: decodeCursor(cursor, parkedCursor) }),
      }),
    );
    const keys = (page.Items ?? []).map((item) => ({ aggregateId: item.aggregateId, version: item.version }));
    const found = await batchGetConsistent(this.client, keys, {
      tableName: this.options.tableName,
      projection: 'aggregateId, version, eventId, detailType, parkedErrorCode, parkedErrorMessage, parkedAt, publishAttempts, #status',
      names: { '#status': 'status' },
      what: 'parked outbox items',
    });
    const byKey = new Map(found.map((item) => [`${String(item.aggregateId)}#${String(item.version)}`, item as unknown as OutboxItem]));
    const items: ParkedEvent[] = [];
    for (const key of page.Items ?? []) {
      const item = byKey.get(`${String(key.aggregateId)}#${String(key.version)}`);
      // The index is eventually consistent: an item retried a moment ago may still be listed.
      if (item === undefined || item.status !== 'PARKED') continue;
      items.push({
        aggregateId: item.aggregateId,
        version: item.version,
        parkedAt: item.parkedAt ?? String(key.parkedAt),
        ...optional({ eventId: item.eventId, detailType: item.detailType, errorCode: item.parkedErrorCode, errorMessage: item.parkedErrorMessage, publishAttempts: item.publishAttempts }),
      });
    }
    return { items, ...(page.LastEvaluatedKey === undefined ? {} : { cursor: encodeCursor(page.LastEvaluatedKey) }) };
  }

  /** Parked events back on the bus in version order (all aggregates, or one), holds lifted when done. */
  public async retryParked(
    options: { aggregateId?: string; maxAggregates: number; deadline: number },
  ): Promise<RetryParkedAnswer> {
    const { failures, ...counts } = await this.retry.retry(options);
    const failed: OperationFailure[] = [];
    appendCapped(failed, failures.map(toOperationFailure));
    return { ...counts, failed, failedCount: failures.length };
  }

  /**
   * Every published event of one aggregate sent again, in version order, byte for byte as first
   * published (same `eventId`, same `detail`, same trace header). Pending and parked versions are
   * left to the relay and to `retryParked`.
   */
  public async replayAggregate(aggregateId: string): Promise<ReplayReport> {
    const items = await outboxItemsOf(this.client, this.options.tableName, aggregateId);
    const report = newReplayReport(this.options.retentionSeconds);
    await this.replayItems(items, report);
    return report;
  }

  /**
   * The published events that occurred in [since, until], from the `occurred` index, until
   * `deadline`; the answer's `cursor` resumes where it stopped. Events of one aggregate go in
   * version order within a page; across pages and aggregates EventBridge keeps no order anyway.
   */
  public async replayWindow(window: { since: Date; until: Date; cursor?: string; deadline: number }): Promise<ReplayReport> {
    if (window.until.getTime() - window.since.getTime() > MAX_REPLAY_WINDOW_DAYS * 86_400_000) {
      throw new RangeError(`A replay window is at most ${MAX_REPLAY_WINDOW_DAYS} days; older events are in the bus archive.`);
    }
    const partitions = dayBucketsBetween(window.since, window.until, PENDING_SHARD_CEILING);
    const report = newReplayReport(this.options.retentionSeconds);
    const windowId = `${window.since.toISOString()}/${window.until.toISOString()}`;
    let position: WindowCursor = window.cursor === undefined ? { window: windowId, partition: 0 } : decodeCursor(window.cursor, windowCursor);
    const start = position.startKey;
    if (
      position.window !== windowId ||
      position.partition > partitions.length ||
      (start !== undefined && (start.occurredKey !== partitions[position.partition] || start.occurredAt < window.since.toISOString() || start.occurredAt > window.until.toISOString()))
    ) {
      throw new InvalidCursorError('a cursor of another window, or of another place in it');
    }
    while (position.partition < partitions.length && this.now().getTime() < window.deadline) {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: OUTBOX_OCCURRED_INDEX.indexName,
          KeyConditionExpression: '#key = :key AND #at BETWEEN :since AND :until',
          ExpressionAttributeNames: { '#key': OUTBOX_OCCURRED_INDEX.partitionKey, '#at': OUTBOX_OCCURRED_INDEX.sortKey },
          ExpressionAttributeValues: { ':key': partitions[position.partition], ':since': window.since.toISOString(), ':until': window.until.toISOString() },
          Limit: REPLAY_PAGE,
          ...(position.startKey === undefined ? {} : { ExclusiveStartKey: position.startKey }),
        }),
      );
      const keys = (page.Items ?? []).map((item) => ({ aggregateId: item.aggregateId, version: item.version }));
      if (keys.length > 0) {
        const items = (await batchGetConsistent(this.client, keys, { tableName: this.options.tableName, what: 'outbox items to replay' })) as unknown as OutboxItem[];
        items.sort((a, b) => (a.aggregateId < b.aggregateId ? -1 : a.aggregateId > b.aggregateId ? 1 : a.version - b.version));
        await this.replayItems(items, report);
      }
      position =
        page.LastEvaluatedKey === undefined
          ? { window: windowId, partition: position.partition + 1 }
          : { window: windowId, partition: position.partition, startKey: windowCursor.shape.startKey.unwrap().parse(page.LastEvaluatedKey) };
    }
    const done = position.partition >= partitions.length;
    return {
      ...report,
      progress: { done: position.partition, total: partitions.length },
      ...(done ? {} : { cursor: encodeCursor(position) }),
    };
  }

  private async replayItems(items: readonly OutboxItem[], report: MutableReplayReport): Promise<void> {
    report.found += items.length;
    const published = items.filter((item) => item.status === 'PUBLISHED');
    report.skippedPending += items.filter((item) => item.status === 'PENDING').length;
    report.skippedParked += items.filter((item) => item.status === 'PARKED').length;
    if (published.length === 0) return;
    const outcome = await this.publisher.publish(published);
    report.replayed += outcome.published.length;
    appendCapped(report.replayedEvents, outcome.published.map(({ aggregateId, version, eventId, detailType }) => ({ aggregateId, version, eventId, detailType })));
    const failures = [
      ...outcome.failed.map(toOperationFailure),
      // Not sent because an earlier version of theirs failed: failures too, so nothing goes unsaid.
      ...outcome.blocked.map((item) => ({ aggregateId: item.aggregateId, version: item.version, errorCode: 'NotSent', errorMessage: 'An earlier version of this aggregate failed.' })),
    ];
    report.failedCount += failures.length;
    appendCapped(report.failed, failures);
  }
}

/** A replay's report while it is being filled (the CLI sums a window's calls into one the same way). */
export type MutableReplayReport = { -readonly [K in keyof ReplayReport]: ReplayReport[K] } & {
  failed: OperationFailure[];
  replayedEvents: ReplayedEvent[];
};

export const newReplayReport = (retentionSeconds: number): MutableReplayReport => ({
  found: 0,
  replayed: 0,
  skippedPending: 0,
  skippedParked: 0,
  failed: [],
  failedCount: 0,
  replayedEvents: [],
  retentionSeconds,
});

const toOperationFailure = (failure: PublishFailure<OutboxItem>): OperationFailure => ({
  aggregateId: failure.item.aggregateId,
  version: failure.item.version,
  errorCode: failure.errorCode,
  errorMessage: failure.errorMessage,
});

const optional = (fields: Record<string, string | number | undefined>): Record<string, string | number> =>
  Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string | number] => entry[1] !== undefined));

/** An opaque cursor: base64url of JSON (DynamoDB keys of the outbox hold strings and numbers only). */
const encodeCursor = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const decodeCursor = <T>(cursor: string, schema: z.ZodType<T>): T => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error: unknown) {
    throw new InvalidCursorError(error);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidCursorError(parsed.error);
  return parsed.data;
};

/** A cursor that this code did not hand out. */
export class InvalidCursorError extends Error {
  public constructor(cause: unknown) {
    super('The cursor is not one this operation handed out.', { cause });
    this.name = 'InvalidCursorError';
  }
}
