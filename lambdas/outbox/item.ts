import { createHash } from 'node:crypto';

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
}

export type OutboxStatus = 'PENDING' | 'PUBLISHED';

export const OUTBOX_KEY = { partitionKey: 'aggregateId', sortKey: 'version' } as const;
export const OUTBOX_PENDING_INDEX = {
  indexName: 'pending',
  partitionKey: 'pendingShard',
  sortKey: 'pendingSince',
} as const;
export const OUTBOX_TTL_ATTRIBUTE = 'expiresAt';

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

export const newPendingOutboxItem = (event: OutboxEvent, pendingShards: number, now: Date): OutboxItem => ({
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
});
