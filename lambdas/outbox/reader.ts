import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CONTROL_VERSION, type OutboxItem } from './item';

/** An event as the outbox stored it: the EventBridge `detail`, and its detail type. */
export interface StoredEvent<TDetail> {
  readonly detailType: string;
  readonly detail: TDetail;
  readonly status: string;
}

/**
 * Reads an aggregate's events back from the outbox, in version order: a consumer that needs the
 * events it missed one by one (not just the latest state) can fetch them here, since all of an
 * aggregate's events sit under one partition key. Published events stay for the retention period
 * (7 days by default) before TTL removes them.
 */
export class OutboxReader {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async eventsOf<TDetail>(aggregateId: string, fromVersion: number, toVersion: number): Promise<StoredEvent<TDetail>[]> {
    const events: StoredEvent<TDetail>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'aggregateId = :id AND version BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':id': aggregateId, ':from': fromVersion, ':to': toVersion },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        events.push({ detailType: item.detailType as string, detail: JSON.parse(item.detail as string) as TDetail, status: item.status as string });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return events;
  }
}

/** Every outbox item of one aggregate (its events, not its control record), in version order; strongly consistent. */
export const outboxItemsOf = async (client: DynamoDBDocumentClient, tableName: string, aggregateId: string): Promise<OutboxItem[]> => {
  const items: OutboxItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'aggregateId = :id AND version > :control',
        ExpressionAttributeValues: { ':id': aggregateId, ':control': CONTROL_VERSION },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as OutboxItem[]));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
};
