import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoOrderReader } from './dynamodb-order-repository';
import { ordersChangedBetween } from './order-changes';
import { eventForCurrentState } from '../domain/order';
import { type OutboxItem, newPendingOutboxItem } from '../outbox/item';
import type { EventBridgePublisher } from '../outbox/publisher';

export interface OrdersAuditOptions {
  readonly ordersTableName: string;
  readonly outboxTableName: string;
  readonly readModelTableName: string;
  readonly pendingShards: number;
  readonly retentionSeconds: number;
}

export interface AuditReport {
  readonly changedOrders: number;
  /** Items the audit's index queries and reads returned: its read cost. */
  readonly itemsRead: number;
  readonly missingEvents: number;
  readonly missingEventsRepaired: number;
  readonly readModelBehind: number;
  readonly readModelRepaired: number;
  /** Published items given their missing `expiresAt`, or pending items relieved of one. */
  readonly ttlRepaired: number;
}

/**
 * Audits the orders changed in a recent window, each against the outbox and the read model:
 * a version without its outbox event gets the event back (rebuilt from the state, same id; the
 * relay publishes it), a read model still behind past the grace period gets the latest event
 * published again, and TTL is made right (published items expire, pending items never do).
 * Its cost follows the number of changed orders, never the size of a table.
 */
export class OrdersAudit {
  private readonly orders: DynamoOrderReader;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: OrdersAuditOptions,
    private readonly publisher: EventBridgePublisher,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.orders = new DynamoOrderReader(client, options.ordersTableName);
  }

  public async run(windowHours: number, graceSeconds: number): Promise<AuditReport> {
    const now = this.now();
    const changed = await ordersChangedBetween(this.client, this.options.ordersTableName, new Date(now.getTime() - windowHours * 3_600_000), now);
    const report = { changedOrders: changed.orders.length, itemsRead: changed.itemsRead, missingEvents: 0, missingEventsRepaired: 0, readModelBehind: 0, readModelRepaired: 0, ttlRepaired: 0 };
    const graceCutoff = now.getTime() - graceSeconds * 1000;

    for (const order of changed.orders) {
      const event = await this.outboxItem(order.id, order.version);
      if (event === undefined) {
        report.missingEvents += 1;
        report.missingEventsRepaired += (await this.restoreEvent(order.id, order.version)) ? 1 : 0;
      } else {
        report.itemsRead += 1;
        report.ttlRepaired += (await this.repairTtl(event, now)) ? 1 : 0;
      }
      if (Date.parse(order.updatedAt) > graceCutoff) continue;
      const { Item: projected } = await this.client.send(
        new GetCommand({
          TableName: this.options.readModelTableName,
          Key: { id: order.id },
          ProjectionExpression: 'lastProcessedVersion',
          ConsistentRead: true,
        }),
      );
      if (projected !== undefined) report.itemsRead += 1;
      if (((projected?.lastProcessedVersion as number | undefined) ?? 0) >= order.version) continue;
      report.readModelBehind += 1;
      // A pending event is on its way (relay or sweep); only a published one needs sending again.
      if (event?.status === 'PUBLISHED') {
        const outcome = await this.publisher.publish([event]);
        report.readModelRepaired += outcome.published.length;
      }
    }
    return report;
  }

  private async outboxItem(aggregateId: string, version: number): Promise<OutboxItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.options.outboxTableName, Key: { aggregateId, version }, ConsistentRead: true }),
    );
    return Item as OutboxItem | undefined;
  }

  /** Writes the missing event of the order's current version, unless the order moved on. */
  private async restoreEvent(orderId: string, version: number): Promise<boolean> {
    const order = await this.orders.get(orderId);
    if (order?.version !== version) return false;
    const event = eventForCurrentState(order);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.outboxTableName,
          Item: newPendingOutboxItem({ source: event.source, detailType: event.type, detail: event.detail }, this.options.pendingShards, this.now()),
          ConditionExpression: 'attribute_not_exists(aggregateId)',
        }),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async repairTtl(item: OutboxItem, now: Date): Promise<boolean> {
    const key = { aggregateId: item.aggregateId, version: item.version };
    try {
      if (item.status === 'PUBLISHED' && item.expiresAt === undefined) {
        const publishedAt = item.publishedAt === undefined ? now.getTime() : Date.parse(item.publishedAt);
        await this.client.send(
          new UpdateCommand({
            TableName: this.options.outboxTableName,
            Key: key,
            UpdateExpression: 'SET expiresAt = :expiresAt',
            ConditionExpression: '#status = :published AND attribute_not_exists(expiresAt)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':expiresAt': Math.floor(publishedAt / 1000) + this.options.retentionSeconds, ':published': 'PUBLISHED' },
          }),
        );
        return true;
      }
      if (item.status === 'PENDING' && item.expiresAt !== undefined) {
        await this.client.send(
          new UpdateCommand({
            TableName: this.options.outboxTableName,
            Key: key,
            UpdateExpression: 'REMOVE expiresAt',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'PENDING' },
          }),
        );
        return true;
      }
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    return false;
  }
}
