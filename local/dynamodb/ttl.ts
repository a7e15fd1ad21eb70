/**
 * DynamoDB's TTL: items whose TTL attribute (epoch seconds) is in the past are deleted by the
 * service, each deletion a `REMOVE` stream record
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html). DynamoDB Local's
 * own sweep misses items that are in none of a table's GSIs, so for tables with TTL and GSIs this
 * does the work: a scan and a conditional delete per expired item (the same `REMOVE` record),
 * paced (local/paced.ts) so it never overlaps itself and takes at most ~10% of the engine's time.
 */
import { DeleteItemCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { TableModel } from '../model/dynamodb';
import { type PacedLoop, pacedLoop } from '../paced';

export const startTtlAssist = (client: DynamoDBClient, tables: readonly TableModel[], log: (line: string) => void): PacedLoop => {
  const swept = tables.filter((table) => table.timeToLiveAttribute !== undefined && table.globalSecondaryIndexes.length > 0);
  return pacedLoop(
    async () => {
      for (const table of swept) {
        const keys = table.keySchema.map((key) => key.AttributeName ?? '');
        const count = await expireItems(client, table.tableName, table.timeToLiveAttribute ?? '', keys);
        if (count > 0) log(`ttl    deleted ${count} expired items from ${table.tableName}`);
      }
    },
    { minIntervalMs: 2000, share: 0.1 },
  );
};

/** Deletes the items whose TTL attribute is in the past (a scan: local only). */
const expireItems = async (client: DynamoDBClient, tableName: string, attribute: string, keys: string[]): Promise<number> => {
  const now = String(Math.floor(Date.now() / 1000));
  let deleted = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': attribute },
        ExpressionAttributeValues: { ':now': { N: now } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const key = Object.fromEntries(keys.map((name) => [name, item[name] as never]));
      await client
        .send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': attribute },
            ExpressionAttributeValues: { ':now': { N: now } },
          }),
        )
        .then(() => {
          deleted += 1;
        })
        .catch(() => undefined);
    }
    start = page.LastEvaluatedKey as never;
  } while (start !== undefined);
  return deleted;
};
