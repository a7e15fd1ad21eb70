import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { batchGetConsistent } from './batch-get';
import { forEachBounded } from './concurrency';
import { outboxItemsOf } from './reader';
import { CONTROL_VERSION, HELD_BEHIND_PARKED, HOLD_STATUS, OUTBOX_PARKED_INDEX, type OutboxItem } from './item';
import type { OutboxKey } from './marker';

export interface OutboxParkerOptions {
  readonly tableName: string;
  /** How long a published item is kept before TTL removes it. @default 7 days */
  readonly retentionSeconds?: number;
  /** Aggregates parked at once (one aggregate's versions are always parked one after another). @default 8 */
  readonly concurrency?: number;
}

/** A version to park, and why. */
export interface ParkRequest extends OutboxKey {
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Publications tried so far (0 for a version held behind another). */
  readonly attempts: number;
}

export interface ParkOutcome {
  readonly parked: readonly ParkRequest[];
  /** No longer pending when we came to park it (published or parked by a duplicate run). */
  readonly alreadyDone: readonly ParkRequest[];
  /** Could not be parked (DynamoDB failed): still pending, so the caller must retry it. */
  readonly failed: readonly { readonly request: ParkRequest; readonly error: unknown }[];
}

export interface ParkedStats {
  readonly count: number;
  /** Age of the oldest parked item; 0 when nothing is parked. */
  readonly oldestParkedAgeMs: number;
}

/** A `Query` of the whole sparse parked index (oldest first): add paging, a limit or a projection. */
export const parkedIndexQuery = (tableName: string) => ({
  TableName: tableName,
  IndexName: OUTBOX_PARKED_INDEX.indexName,
  KeyConditionExpression: '#key = :parked',
  ExpressionAttributeNames: { '#key': OUTBOX_PARKED_INDEX.partitionKey },
  ExpressionAttributeValues: { ':parked': OUTBOX_PARKED_INDEX.partitionValue },
});

const TRANSACTION_ATTEMPTS = 5;
const MESSAGE_LIMIT = 1000;

/**
 * Parking: the outbox's answer to an event EventBridge refuses for good. The item leaves the
 * pending index for the sparse parked index (never given `expiresAt`, so never pruned), and the
 * aggregate's hold record (version 0) counts its parked versions. While a hold exists, the relay
 * and the sweep park every later version of that aggregate too, so its events still go out in
 * version order once an operator retries them, and no other aggregate waits.
 *
 * Each park is one transaction: the item (conditional on still being pending) and the hold
 * count move together, so a retry can tell when the last parked version has gone out.
 */
export class OutboxParker {
  private readonly retentionSeconds: number;
  private readonly concurrency: number;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: OutboxParkerOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.retentionSeconds = options.retentionSeconds ?? 7 * 24 * 60 * 60;
    this.concurrency = options.concurrency ?? 8;
  }

  /** The aggregates among `aggregateIds` that have parked versions (a hold record). */
  public async heldAggregates(aggregateIds: Iterable<string>): Promise<Set<string>> {
    const keys = [...new Set(aggregateIds)].map((aggregateId) => ({ aggregateId, version: CONTROL_VERSION }));
    const records = await batchGetConsistent(this.client, keys, {
      tableName: this.options.tableName,
      projection: 'aggregateId, #status, parkedCount',
      names: { '#status': 'status' },
      what: 'hold records',
    });
    // A hold whose count is 0 is one a retry emptied and has not removed yet: not a hold.
    return new Set(
      records
        .filter((record) => record.status === HOLD_STATUS && ((record.parkedCount as number | undefined) ?? 0) > 0)
        .map((record) => record.aggregateId as string),
    );
  }

  /** Parks pending items; one aggregate's versions in version order, aggregates side by side. */
  public async park(requests: readonly ParkRequest[]): Promise<ParkOutcome> {
    const outcome: { parked: ParkRequest[]; alreadyDone: ParkRequest[]; failed: { request: ParkRequest; error: unknown }[] } = {
      parked: [],
      alreadyDone: [],
      failed: [],
    };
    const byAggregate = groupByAggregate(requests);
    await forEachBounded([...byAggregate.values()], this.concurrency, async (versions) => {
      for (const [index, request] of versions.entries()) {
        try {
          (await this.parkOne(request)) ? outcome.parked.push(request) : outcome.alreadyDone.push(request);
        } catch (error: unknown) {
          // Parking a later version while this one stays pending would let a retry publish it
          // first: the rest of the aggregate stays pending too, and is tried again in order.
          outcome.failed.push(...versions.slice(index).map((rest) => ({ request: rest, error })));
          return;
        }
      }
    });
    return outcome;
  }

  /**
   * The parked versions of one aggregate that may go out now, in version order: those below its
   * first pending version. A version whose park failed stays pending while later ones were parked
   * behind the hold; publishing those before it would break the aggregate's order, so they wait
   * (`waiting`) until the sweep parks it behind the hold too.
   */
  public async parkedOf(aggregateId: string): Promise<{ ready: OutboxItem[]; waiting: number }> {
    const items = await outboxItemsOf(this.client, this.options.tableName, aggregateId);
    const firstPending = items.find((item) => item.status === 'PENDING')?.version ?? Number.POSITIVE_INFINITY;
    const parked = items.filter((item) => item.status === 'PARKED');
    const ready = parked.filter((item) => item.version < firstPending);
    return { ready, waiting: parked.length - ready.length };
  }

  /** Aggregates with parked versions, the longest-parked first, at most `limit`. */
  public async parkedAggregates(limit: number): Promise<string[]> {
    const aggregates = new Set<string>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ ...parkedIndexQuery(this.options.tableName), ProjectionExpression: 'aggregateId', ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) {
        aggregates.add(item.aggregateId as string);
        if (aggregates.size >= limit) return [...aggregates];
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return [...aggregates];
  }

  /** How many items are parked and how long the oldest has waited (reads the parked index only). */
  public async stats(): Promise<ParkedStats> {
    const key = parkedIndexQuery(this.options.tableName);
    const oldest = await this.client.send(new QueryCommand({ ...key, Limit: 1, ScanIndexForward: true }));
    const since = oldest.Items?.[0]?.parkedAt as string | undefined;
    if (since === undefined) return { count: 0, oldestParkedAgeMs: 0 };
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...key, Select: 'COUNT', ExclusiveStartKey: start }));
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return { count, oldestParkedAgeMs: Math.max(0, this.now().getTime() - Date.parse(since)) };
  }

  /** A parked version the bus has now accepted: published (TTL as usual), one fewer on the hold. */
  public async markParkedPublished(key: OutboxKey, publishedAt: Date): Promise<boolean> {
    return this.transact([
      {
        Update: {
          TableName: this.options.tableName,
          Key: { aggregateId: key.aggregateId, version: key.version },
          UpdateExpression:
            'SET #status = :published, publishedAt = :publishedAt, expiresAt = :expiresAt ' +
            'REMOVE parkedKey, parkedAt, parkedErrorCode, parkedErrorMessage',
          ConditionExpression: '#status = :parked',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':published': 'PUBLISHED',
            ':parked': 'PARKED',
            ':publishedAt': publishedAt.toISOString(),
            ':expiresAt': Math.floor(publishedAt.getTime() / 1000) + this.retentionSeconds,
          },
        },
      },
      this.holdUpdate(key.aggregateId, -1),
    ]);
  }

  /** A retry that failed for good again: the item stays parked with the new reason. */
  public async recordFailure(request: ParkRequest): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { aggregateId: request.aggregateId, version: request.version },
          UpdateExpression: 'SET parkedErrorCode = :code, parkedErrorMessage = :message ADD publishAttempts :attempts',
          ConditionExpression: '#status = :parked',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':code': request.errorCode,
            ':message': request.errorMessage.slice(0, MESSAGE_LIMIT),
            ':attempts': request.attempts,
            ':parked': 'PARKED',
          },
        }),
      );
    } catch (error: unknown) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Removes the aggregate's hold once no version of it is parked. `held` is false when a
   * version was parked meanwhile (the caller goes round again), so nothing is ever left behind a
   * hold; `existed` says whether there was a hold to remove.
   */
  public async releaseHold(aggregateId: string): Promise<{ held: boolean; existed: boolean }> {
    try {
      const { Attributes } = await this.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: { aggregateId, version: CONTROL_VERSION },
          ConditionExpression: 'attribute_not_exists(aggregateId) OR parkedCount <= :zero',
          ExpressionAttributeValues: { ':zero': 0 },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { held: false, existed: Attributes !== undefined };
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return { held: true, existed: true };
      throw error;
    }
  }

  private async parkOne(request: ParkRequest): Promise<boolean> {
    const now = this.now().toISOString();
    // A version parked only because of the hold may be parked only while the hold still holds:
    // if a retry lifted it since we looked, the version is published instead (the caller retries).
    const behindHold = request.errorCode === HELD_BEHIND_PARKED;
    return this.transact([
      {
        Update: {
          TableName: this.options.tableName,
          Key: { aggregateId: request.aggregateId, version: request.version },
          UpdateExpression:
            'SET #status = :parked, parkedKey = :parkedKey, parkedAt = :now, parkedErrorCode = :code, ' +
            'parkedErrorMessage = :message, publishAttempts = :attempts REMOVE pendingShard, pendingSince, expiresAt',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':parked': 'PARKED',
            ':pending': 'PENDING',
            ':parkedKey': OUTBOX_PARKED_INDEX.partitionValue,
            ':now': now,
            ':code': request.errorCode,
            ':message': request.errorMessage.slice(0, MESSAGE_LIMIT),
            ':attempts': request.attempts,
          },
        },
      },
      this.holdUpdate(request.aggregateId, 1, behindHold),
    ]);
  }

  private holdUpdate(aggregateId: string, delta: 1 | -1, requireLiveHold = false) {
    return {
      Update: {
        TableName: this.options.tableName,
        Key: { aggregateId, version: CONTROL_VERSION },
        UpdateExpression: 'SET #status = :hold, heldSince = if_not_exists(heldSince, :now) ADD parkedCount :delta',
        ...(requireLiveHold ? { ConditionExpression: 'parkedCount > :zero' } : {}),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':hold': HOLD_STATUS, ':now': this.now().toISOString(), ':delta': delta, ...(requireLiveHold ? { ':zero': 0 } : {}) },
      },
    };
  }

  /**
   * One transaction over an item and its hold. False when the item's condition failed (someone
   * else moved it first); a conflict with a concurrent park of the same aggregate is retried.
   */
  private async transact(items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (error: unknown) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return false;
        if (reasons[1]?.Code === 'ConditionalCheckFailed') throw new HoldLiftedError(error);
        if (!reasons.some((reason) => reason.Code === 'TransactionConflict') || attempt >= TRANSACTION_ATTEMPTS) throw error;
        await sleep(Math.random() * 20 * 2 ** attempt);
      }
    }
  }
}

/** The hold a version was to be parked behind was lifted meanwhile: publish it instead. */
export class HoldLiftedError extends Error {
  public constructor(cause: unknown) {
    super('The hold was lifted before this version could be parked behind it.', { cause });
    this.name = 'HoldLiftedError';
  }
}

const groupByAggregate = (requests: readonly ParkRequest[]): Map<string, ParkRequest[]> => {
  const groups = new Map<string, ParkRequest[]>();
  for (const request of requests) groups.set(request.aggregateId, [...(groups.get(request.aggregateId) ?? []), request]);
  for (const group of groups.values()) group.sort((a, b) => a.version - b.version);
  return groups;
};
