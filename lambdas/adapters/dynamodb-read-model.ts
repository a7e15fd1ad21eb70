import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Order } from '../domain/order';
import type { OrderListPage, OrderListPosition, OrderListReader } from '../use-cases/order-queries';
import { orderFromItem } from './dynamodb-order-repository';

export const READ_MODEL_BY_CUSTOMER_INDEX = { indexName: 'byCustomer', partitionKey: 'customerId', sortKey: 'createdAt' } as const;

/** What applying one event did to the read model. */
export type ProjectionOutcome =
  | { readonly kind: 'applied'; readonly previousVersion: number | undefined }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'stale'; readonly currentVersion: number };

/**
 * The read model: one item per order, its state at `lastProcessedVersion`. Writes are
 * conditional on the version moving forward, so duplicates and stale events change nothing and
 * a newer event (which carries the whole state) can land before the ones in between.
 */
export class DynamoReadModel implements OrderListReader {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  public async apply(state: Order, version: number): Promise<ProjectionOutcome> {
    try {
      const { Attributes } = await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...state, lastProcessedVersion: version, projectedAt: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(id) OR lastProcessedVersion < :version',
          ExpressionAttributeValues: { ':version': version },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'applied', previousVersion: Attributes?.lastProcessedVersion as number | undefined };
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = error.Item === undefined ? version : Number(unmarshall(error.Item).lastProcessedVersion);
        return current === version ? { kind: 'duplicate' } : { kind: 'stale', currentVersion: current };
      }
      throw error;
    }
  }

  public async get(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id: orderId }, ConsistentRead: true }));
    return Item === undefined ? undefined : orderFromItem(Item);
  }

  /**
   * A customer's orders, newest first, a page at a time. A position is the index key itself
   * (the table's key and the index's), which is what DynamoDB takes to resume a query.
   */
  public async listByCustomer(customerId: string, limit: number, after?: OrderListPosition): Promise<OrderListPage> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: READ_MODEL_BY_CUSTOMER_INDEX.indexName,
        KeyConditionExpression: 'customerId = :customerId',
        ExpressionAttributeValues: { ':customerId': customerId },
        ScanIndexForward: false,
        Limit: limit,
        ...(after === undefined ? {} : { ExclusiveStartKey: { id: after.id, customerId: after.customerId, createdAt: after.createdAt } }),
      }),
    );
    const items = (page.Items ?? []).map(orderFromItem);
    const last = page.LastEvaluatedKey;
    return { items, ...(last === undefined ? {} : { next: positionOf(last) }) };
  }
}

const positionOf = (key: Record<string, unknown>): OrderListPosition => {
  const { id, customerId, createdAt } = key;
  if (typeof id !== 'string' || typeof customerId !== 'string' || typeof createdAt !== 'string') {
    throw new Error('The read model returned a LastEvaluatedKey without the byCustomer index key.');
  }
  return { customerId, createdAt, id };
};
