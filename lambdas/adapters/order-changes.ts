import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dayBucketFor, dayBucketsBetween } from '../outbox/item';

/**
 * The "recently changed orders" index of the write model: every order item carries
 * `changeBucket` = the UTC day of its last change and a shard of its id, so the orders changed in
 * a window are a few index queries (days x shards), never a table scan. Shards keep one day's
 * writes off a single index partition.
 */
export const ORDER_CHANGES_INDEX = { indexName: 'byChange', partitionKey: 'changeBucket', sortKey: 'updatedAt' } as const;
export const CHANGE_BUCKET_SHARDS = 4;

export const changeBucketFor = (orderId: string, updatedAt: string): string => dayBucketFor(orderId, updatedAt, CHANGE_BUCKET_SHARDS);

export interface ChangedOrder {
  readonly id: string;
  readonly version: number;
  readonly updatedAt: string;
}

/** The buckets a window touches: each UTC day from `from` to `to`, each shard. */
export const changeBucketsBetween = (from: Date, to: Date): string[] => dayBucketsBetween(from, to, CHANGE_BUCKET_SHARDS);

/** Where an audit stopped: the last order it checked, in (updatedAt, id) order. */
export interface ChangeCursor {
  readonly updatedAt: string;
  readonly id: string;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const after = (order: ChangedOrder, cursor: ChangeCursor | undefined): boolean =>
  cursor === undefined || order.updatedAt > cursor.updatedAt || (order.updatedAt === cursor.updatedAt && order.id > cursor.id);

/**
 * The first `limit` orders whose last change falls in [from, to] and comes after `cursor`, oldest
 * first, with how many index items were read and whether more are left. Each bucket is sorted by
 * `updatedAt`, so the first `limit` of each bucket hold the first `limit` overall.
 */
export const ordersChangedSince = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  window: { readonly from: Date; readonly to: Date; readonly cursor?: ChangeCursor },
  limit: number,
): Promise<{ orders: ChangedOrder[]; itemsRead: number; more: boolean }> => {
  const from = window.cursor !== undefined && window.cursor.updatedAt > window.from.toISOString() ? window.cursor.updatedAt : window.from.toISOString();
  const candidates: ChangedOrder[] = [];
  let itemsRead = 0;
  let more = false;
  for (const bucket of changeBucketsBetween(new Date(from), window.to)) {
    let start: Record<string, unknown> | undefined;
    let taken = 0;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: ORDER_CHANGES_INDEX.indexName,
          KeyConditionExpression: 'changeBucket = :bucket AND updatedAt BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':bucket': bucket, ':from': from, ':to': window.to.toISOString() },
          Limit: Math.min(1000, limit + 1),
          ExclusiveStartKey: start,
        }),
      );
      itemsRead += page.Count ?? 0;
      for (const item of page.Items ?? []) {
        const order = { id: item.id as string, version: item.version as number, updatedAt: item.updatedAt as string };
        if (after(order, window.cursor)) {
          candidates.push(order);
          taken += 1;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined && taken <= limit);
    more ||= start !== undefined;
  }
  // Code-point order, the order `after` compares in (and DynamoDB sorts in): a locale collation
  // weighs the dashes of ids differently, which would let the cursor skip an order.
  candidates.sort((a, b) => byCodePoint(a.updatedAt, b.updatedAt) || byCodePoint(a.id, b.id));
  return { orders: candidates.slice(0, limit), itemsRead, more: more || candidates.length > limit };
};
