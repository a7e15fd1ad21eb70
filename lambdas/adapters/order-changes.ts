import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { pendingShardFor } from '../outbox/item';

/**
 * The "recently changed orders" index of the write model: every order item carries
 * `changeBucket` = the UTC day of its last change and a shard of its id, so the orders changed in
 * a window are a few index queries (days x shards), never a table scan. Shards keep one day's
 * writes off a single index partition.
 */
export const ORDER_CHANGES_INDEX = { indexName: 'byChange', partitionKey: 'changeBucket', sortKey: 'updatedAt' } as const;
export const CHANGE_BUCKET_SHARDS = 4;

export const changeBucketFor = (orderId: string, updatedAt: string): string =>
  `${updatedAt.slice(0, 10)}#${pendingShardFor(orderId, CHANGE_BUCKET_SHARDS)}`;

export interface ChangedOrder {
  readonly id: string;
  readonly version: number;
  readonly updatedAt: string;
}

/** The buckets a window touches: each UTC day from `from` to `to`, each shard. */
export const changeBucketsBetween = (from: Date, to: Date): string[] => {
  const buckets: string[] = [];
  for (let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); day <= to.getTime(); day += 86_400_000) {
    const date = new Date(day).toISOString().slice(0, 10);
    for (let shard = 0; shard < CHANGE_BUCKET_SHARDS; shard++) buckets.push(`${date}#${shard}`);
  }
  return buckets;
};

/** Orders whose last change falls in [from, to], with how many index items were read. */
export const ordersChangedBetween = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  from: Date,
  to: Date,
): Promise<{ orders: ChangedOrder[]; itemsRead: number }> => {
  const orders: ChangedOrder[] = [];
  let itemsRead = 0;
  for (const bucket of changeBucketsBetween(from, to)) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: ORDER_CHANGES_INDEX.indexName,
          KeyConditionExpression: 'changeBucket = :bucket AND updatedAt BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':bucket': bucket, ':from': from.toISOString(), ':to': to.toISOString() },
          ExclusiveStartKey: start,
        }),
      );
      itemsRead += page.Count ?? 0;
      for (const item of page.Items ?? []) {
        orders.push({ id: item.id as string, version: item.version as number, updatedAt: item.updatedAt as string });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
  return { orders, itemsRead };
};
