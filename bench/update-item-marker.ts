import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forEachBounded } from '../lambdas/outbox/concurrency';
import type { MarkOutcome, OutboxKey, OutboxMarker } from '../lambdas/outbox/marker';

/**
 * The previous design of the relay's marks, kept as a baseline for `npm run bench`: one
 * conditional `UpdateItem` per published item, `concurrency` in flight. Same effect on the item
 * as `OutboxMarker` (lambdas/outbox/marker.ts), which sends 25 marks per `BatchExecuteStatement`.
 */
export const updateItemMarker = (client: DynamoDBDocumentClient, tableName: string, concurrency: number): OutboxMarker => {
  const markPublished = async (keys: readonly OutboxKey[], publishedAt: Date): Promise<MarkOutcome> => {
    const outcome = { marked: 0, alreadyMarked: 0, failed: 0 };
    await forEachBounded(keys, concurrency, async (key) => {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { aggregateId: key.aggregateId, version: key.version },
            UpdateExpression: 'SET #status = :published, publishedAt = :publishedAt, expiresAt = :expiresAt REMOVE pendingShard, pendingSince',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':published': 'PUBLISHED',
              ':pending': 'PENDING',
              ':publishedAt': publishedAt.toISOString(),
              ':expiresAt': Math.floor(publishedAt.getTime() / 1000) + 7 * 86_400,
            },
          }),
        );
        outcome.marked += 1;
      } catch (error: unknown) {
        if (error instanceof ConditionalCheckFailedException) outcome.alreadyMarked += 1;
        else outcome.failed += 1;
      }
    });
    return outcome;
  };
  return { markPublished } as unknown as OutboxMarker;
};
