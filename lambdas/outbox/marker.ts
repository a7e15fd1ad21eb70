import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forEachBounded } from './concurrency';

export interface OutboxMarkerOptions {
  readonly tableName: string;
  /** How long a published item is kept before TTL removes it. @default 7 days */
  readonly retentionSeconds?: number;
  /** Updates in flight at once. @default 16 */
  readonly concurrency?: number;
}

export interface MarkOutcome {
  readonly marked: number;
  /** Already published (a duplicate delivery): left exactly as it was. */
  readonly alreadyMarked: number;
  /** Could not be marked; still pending, so the reconciler will publish and mark it again. */
  readonly failed: number;
}

export interface OutboxKey {
  readonly aggregateId: string;
  readonly version: number;
}

/** An outbox key as one string (`aggregateId#version`), for sets and maps. */
export const keyOf = (key: OutboxKey): string => `${key.aggregateId}#${key.version}`;

/**
 * Marks published items: status PUBLISHED, `publishedAt`, `expiresAt` for TTL, and out of the
 * pending index. The update is conditional on the item still being pending, so a late duplicate
 * never rewrites a mark and never recreates an item TTL has already removed.
 */
export class OutboxMarker {
  private readonly retentionSeconds: number;
  private readonly concurrency: number;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: OutboxMarkerOptions,
  ) {
    this.retentionSeconds = options.retentionSeconds ?? 7 * 24 * 60 * 60;
    this.concurrency = options.concurrency ?? 16;
  }

  public async markPublished(
    keys: readonly OutboxKey[],
    publishedAt: Date,
    onError: (key: OutboxKey, error: unknown) => void = () => undefined,
  ): Promise<MarkOutcome> {
    const outcome = { marked: 0, alreadyMarked: 0, failed: 0 };
    const expiresAt = Math.floor(publishedAt.getTime() / 1000) + this.retentionSeconds;
    await forEachBounded(keys, this.concurrency, async (key) => {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: { aggregateId: key.aggregateId, version: key.version },
            UpdateExpression:
              'SET #status = :published, publishedAt = :publishedAt, expiresAt = :expiresAt REMOVE pendingShard, pendingSince',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':published': 'PUBLISHED',
              ':pending': 'PENDING',
              ':publishedAt': publishedAt.toISOString(),
              ':expiresAt': expiresAt,
            },
          }),
        );
        outcome.marked += 1;
      } catch (error: unknown) {
        if (error instanceof ConditionalCheckFailedException) {
          outcome.alreadyMarked += 1;
        } else {
          outcome.failed += 1;
          onError(key, error);
        }
      }
    });
    return outcome;
  }
}
