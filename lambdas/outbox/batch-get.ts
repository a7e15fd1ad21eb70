import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachBounded } from './concurrency';

/** `BatchGetItem` takes at most 100 keys a call. */
const BATCH_GET_KEYS = 100;
const ATTEMPTS = 5;

export interface BatchGetOptions {
  readonly tableName: string;
  /** The attributes to read. @default - whole items */
  readonly projection?: string;
  readonly names?: Record<string, string>;
  /** What the keys are, for the error when DynamoDB keeps leaving some unread. */
  readonly what: string;
}

/**
 * Strongly consistent reads of `keys` (any number), 100 a call, four calls in flight, with the
 * keys DynamoDB leaves unprocessed asked again after a jittered backoff. Missing items are simply
 * absent from the answer. Throws when keys are still unread after five attempts.
 */
export const batchGetConsistent = async (
  client: DynamoDBDocumentClient,
  keys: readonly Record<string, unknown>[],
  options: BatchGetOptions,
): Promise<Record<string, unknown>[]> => {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) chunks.push(keys.slice(i, i + BATCH_GET_KEYS));
  const found: Record<string, unknown>[] = [];
  await forEachBounded(chunks, 4, async (chunk) => {
    let left = chunk;
    for (let attempt = 1; left.length > 0; attempt++) {
      if (attempt > 1) {
        if (attempt > ATTEMPTS) throw new Error(`DynamoDB left ${left.length} ${options.what} unread after ${ATTEMPTS} attempts.`);
        await sleep(20 * 2 ** attempt * Math.random());
      }
      const response = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [options.tableName]: {
              Keys: left,
              ConsistentRead: true,
              ...(options.projection === undefined ? {} : { ProjectionExpression: options.projection }),
              ...(options.names === undefined ? {} : { ExpressionAttributeNames: options.names }),
            },
          },
        }),
      );
      found.push(...(response.Responses?.[options.tableName] ?? []));
      left = (response.UnprocessedKeys?.[options.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  });
  return found;
};
