import { createHash } from 'node:crypto';
import { tracedHeaderToKeep } from './trace-header';

/**
 * The outbox item, as the write path stores it and the relay and reconciler read it.
 * Keyed by aggregate id and version so one aggregate's events sit together in version order.
 * While an item is pending it carries `pendingShard` and `pendingSince`, the keys of the sparse
 * pending index; marking it published removes both, so the index only ever holds unsent items.
 */
export interface OutboxItem {
  readonly aggregateId: string;
  readonly version: number;
  readonly eventId: string;
  readonly aggregateType: string;
  readonly source: string;
  readonly detailType: string;
  readonly occurredAt: string;
  /** The EventBridge `detail`, serialised once at write time so every publication is byte-identical. */
  readonly detail: string;
  readonly status: OutboxStatus;
  readonly pendingShard?: string;
  readonly pendingSince?: string;
  readonly publishedAt?: string;
  /** Epoch seconds; set only once published, so TTL never prunes an unsent event. */
  readonly expiresAt?: number;
  /**
   * The partition key of the `occurred` index ({@link OUTBOX_OCCURRED_INDEX}): the UTC day of
   * `occurredAt` and a shard of the aggregate id. Never changes, so marks cost that index nothing.
   * Absent on items written before the index existed.
   */
  readonly occurredKey?: string;
  /** While parked: the keys of the sparse parked index ({@link OUTBOX_PARKED_INDEX}). */
  readonly parkedKey?: string;
  readonly parkedAt?: string;
  /** Why it is parked: EventBridge's entry error code, or {@link HELD_BEHIND_PARKED}. */
  readonly parkedErrorCode?: string;
  readonly parkedErrorMessage?: string;
  /** Publications tried before the item was parked (and by every retry since). */
  readonly publishAttempts?: number;
  /** Read-model repairs the audit has asked for at this version, and the last one (backoff). */
  readonly repairCount?: number;
  readonly lastRepairAt?: string;
  /**
   * The X-Ray trace header of the request that wrote the event (see `trace-header.ts`), set as
   * the `PutEvents` entry's `TraceHeader`; absent when the write was not traced or not sampled.
   */
  readonly traceHeader?: string;
}

/**
 * PENDING: waits for the relay or the sweep. PUBLISHED: on the bus (TTL prunes it later).
 * PARKED: refused for good by EventBridge, or held behind an earlier parked version of its
 * aggregate; it waits, never pruned, until an operator retries it.
 */
export type OutboxStatus = 'PENDING' | 'PUBLISHED' | 'PARKED';

/** The parked error code of a version that waits behind an earlier parked version. */
export const HELD_BEHIND_PARKED = 'HeldBehindParked';

/**
 * The sparse index of parked items, oldest first. Parked items are rare (each one raises an
 * alarm), so one partition holds them all.
 */
export const OUTBOX_PARKED_INDEX = {
  indexName: 'parked',
  partitionKey: 'parkedKey',
  sortKey: 'parkedAt',
  partitionValue: 'PARKED',
} as const;

/**
 * Version 0 of an aggregate id is never an event (versions start at 1): it holds the aggregate's
 * control record. While any version of an aggregate is parked, its hold record (status HOLD,
 * `parkedCount`) tells the relay and the sweep to park every later version behind it.
 */
export const CONTROL_VERSION = 0;
export const HOLD_STATUS = 'HOLD';

/**
 * The most shards the pending index may ever be given. The sweep reads every shard up to this
 * ceiling, whatever the current setting, so lowering `pendingIndexShards` strands nothing.
 */
export const PENDING_SHARD_CEILING = 100;

export const OUTBOX_KEY = { partitionKey: 'aggregateId', sortKey: 'version' } as const;
export const OUTBOX_PENDING_INDEX = {
  indexName: 'pending',
  partitionKey: 'pendingShard',
  sortKey: 'pendingSince',
} as const;
export const OUTBOX_TTL_ATTRIBUTE = 'expiresAt';

/**
 * Every event by when it occurred (keys only): what an operator's `replay --since/--until` reads,
 * a few queries a day (days x shards, up to {@link PENDING_SHARD_CEILING}), never a scan.
 */
export const OUTBOX_OCCURRED_INDEX = {
  indexName: 'occurred',
  partitionKey: 'occurredKey',
  sortKey: 'occurredAt',
} as const;

export interface OutboxEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: {
    readonly eventId: string;
    readonly aggregateType: string;
    readonly aggregateId: string;
    readonly version: number;
    readonly occurredAt: string;
  };
}

/**
 * Spreads pending items over `shards` index partitions by aggregate, so a burst of writes does
 * not funnel into one index partition (and throttle the base table through GSI back-pressure).
 */
export const pendingShardFor = (aggregateId: string, shards: number): string => {
  const digest = createHash('sha256').update(aggregateId).digest();
  return String(digest.readUInt32BE(0) % shards);
};

/**
 * A day bucket of an index that spreads one day's writes over `shards` partitions: the UTC day
 * of `at` (an ISO time) and the aggregate's shard, e.g. `2026-11-27#3`.
 */
export const dayBucketFor = (aggregateId: string, at: string, shards: number): string => `${at.slice(0, 10)}#${pendingShardFor(aggregateId, shards)}`;

/** The day buckets a window touches: each UTC day from `from` to `to`, each shard below `shards`. */
export const dayBucketsBetween = (from: Date, to: Date, shards: number): string[] => {
  const buckets: string[] = [];
  for (let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); day <= to.getTime(); day += 86_400_000) {
    const date = new Date(day).toISOString().slice(0, 10);
    for (let shard = 0; shard < shards; shard++) buckets.push(`${date}#${shard}`);
  }
  return buckets;
};

/**
 * A new pending item. `traceHeader` is stored only when it is a well-formed X-Ray header of a
 * sampled request (see {@link tracedHeaderToKeep}).
 */
export const newPendingOutboxItem = (event: OutboxEvent, pendingShards: number, now: Date, traceHeader?: string): OutboxItem => {
  const kept = tracedHeaderToKeep(traceHeader);
  return {
    aggregateId: event.detail.aggregateId,
    version: event.detail.version,
    eventId: event.detail.eventId,
    aggregateType: event.detail.aggregateType,
    source: event.source,
    detailType: event.detailType,
    occurredAt: event.detail.occurredAt,
    detail: JSON.stringify(event.detail),
    status: 'PENDING',
    pendingShard: pendingShardFor(event.detail.aggregateId, pendingShards),
    pendingSince: now.toISOString(),
    occurredKey: dayBucketFor(event.detail.aggregateId, event.detail.occurredAt, pendingShards),
    ...(kept === undefined ? {} : { traceHeader: kept }),
  };
};
