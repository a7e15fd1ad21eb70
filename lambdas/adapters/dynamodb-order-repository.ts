import { randomUUID } from 'node:crypto';
import { type AttributeValue, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { OrderNotFoundError } from '../domain/errors';
import type { Order, OrderChange } from '../domain/order';
import {
  IdempotencyKeyTakenError,
  OutboxCollisionError,
  StaleVersionError,
  WriteConflictError,
} from '../use-cases/errors';
import type { IdempotencyBinding, IdempotencyKey, OrderRepository, StoredOutcome } from '../use-cases/ports';
import { newPendingOutboxItem } from '../outbox/item';
import { currentTraceHeader } from '../outbox/trace-header';
import { changeBucketFor } from './order-changes';

export interface DynamoOrderRepositoryOptions {
  readonly ordersTableName: string;
  readonly outboxTableName: string;
  readonly idempotencyTableName: string;
  /** How long an idempotency outcome is kept before TTL may remove it. */
  readonly idempotencyTtlSeconds: number;
  /** Must match the outbox construct's `pendingIndexShards`. */
  readonly pendingShards: number;
  readonly now?: () => Date;
}

/** The idempotency record: the request's fingerprint and the outcome to replay. */
interface IdempotencyRecord {
  /** `idempotencyRecordKey` of the caller and their key. */
  readonly idempotencyKey: string;
  readonly fingerprint: string;
  readonly created: boolean;
  /** The order as the first response carried it, as JSON, so a replay is byte-identical. */
  readonly order: string;
  readonly createdAt: string;
  readonly expiresAt: number;
}

/**
 * The stored key of a caller's idempotency key: the caller's `sub`, length-prefixed, then the
 * key (`3:c-1:k-1`). The length makes the encoding unambiguous whatever either part contains
 * (`sub` may hold `:`), so two callers never share a record, however they choose their keys.
 */
export const idempotencyRecordKey = ({ owner, key }: IdempotencyKey): string => `${owner.length}:${owner}:${key}`;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Strongly consistent reads of the write model: all a read-only function needs. */
export class DynamoOrderReader {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly ordersTableName: string,
  ) {}

  public async get(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.ordersTableName, Key: { id: orderId }, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : orderFromItem(Item);
  }
}

/**
 * The write model on DynamoDB. `commit` is the whole point of the project: the order, its outbox
 * event and the idempotency outcome go into one `TransactWriteItems`, so either all exist or
 * none does.
 */
export class DynamoOrderRepository implements OrderRepository {
  private readonly now: () => Date;
  private readonly reader: DynamoOrderReader;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: DynamoOrderRepositoryOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.reader = new DynamoOrderReader(client, options.ordersTableName);
  }

  public async get(orderId: string): Promise<Order | undefined> {
    return this.reader.get(orderId);
  }

  public async findOutcome(idempotencyKey: IdempotencyKey): Promise<StoredOutcome | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.options.idempotencyTableName,
        Key: { idempotencyKey: idempotencyRecordKey(idempotencyKey) },
        ConsistentRead: true,
      }),
    );
    // An expired record may linger until TTL removes it; it no longer binds the key.
    if (Item === undefined || (Item.expiresAt as number) * 1000 <= this.now().getTime()) {
      return undefined;
    }
    return toOutcome(Item);
  }

  public async commit(change: OrderChange, idempotency?: IdempotencyBinding): Promise<void> {
    const now = this.now();
    const { order, expectedVersion, event } = change;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.options.ordersTableName,
          Item: { ...order, changeBucket: changeBucketFor(order.id, order.updatedAt) },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(id)' : 'version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Put: {
          TableName: this.options.outboxTableName,
          Item: newPendingOutboxItem(
            { source: event.source, detailType: event.type, detail: event.detail },
            this.options.pendingShards,
            now,
            // The invocation's X-Ray trace header (Lambda sets it per invocation); a malformed one is left out.
            currentTraceHeader(),
          ),
          // An event, once written, is never overwritten: that would rewrite history.
          ConditionExpression: 'attribute_not_exists(aggregateId)',
        },
      },
    ];
    if (idempotency !== undefined) {
      const record: IdempotencyRecord = {
        idempotencyKey: idempotencyRecordKey(idempotency),
        fingerprint: idempotency.fingerprint,
        created: idempotency.created,
        order: JSON.stringify(order),
        createdAt: now.toISOString(),
        expiresAt: Math.ceil(now.getTime() / 1000) + this.options.idempotencyTtlSeconds,
      };
      items.push({
        Put: {
          TableName: this.options.idempotencyTableName,
          Item: record,
          // A record past its expiry may still be there (TTL deletes lazily); it may be replaced.
          ConditionExpression: 'attribute_not_exists(idempotencyKey) OR expiresAt <= :nowSeconds',
          ExpressionAttributeValues: { ':nowSeconds': Math.floor(now.getTime() / 1000) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }

    try {
      // The token makes the SDK's own retries of this call idempotent: a retry after a lost
      // response succeeds instead of failing its own conditions.
      await this.client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }));
    } catch (error: unknown) {
      throw this.translate(error, change);
    }
  }

  /** Turns a cancelled transaction's reasons into the conditions the use case resolves. */
  private translate(error: unknown, change: OrderChange): unknown {
    if (!(error instanceof TransactionCanceledException)) {
      return error;
    }
    const [orderReason, outboxReason, idempotencyReason] = error.CancellationReasons ?? [];
    const orderId = change.order.id;
    if (idempotencyReason?.Code === 'ConditionalCheckFailed') {
      // Without the old item (it should come back, as asked) there is nothing to replay yet: a
      // retry either fails on the key again, with the record, or is refused and looks the key up.
      return idempotencyReason.Item === undefined
        ? new WriteConflictError(orderId, { cause: error })
        : new IdempotencyKeyTakenError(toOutcome(fromWire(idempotencyReason.Item)));
    }
    if (orderReason?.Code === 'ConditionalCheckFailed') {
      if (change.expectedVersion !== 0 && orderReason.Item === undefined) {
        return new OrderNotFoundError(orderId);
      }
      const current = orderReason.Item === undefined ? undefined : Number(orderReason.Item.version?.N);
      return new StaleVersionError(orderId, change.expectedVersion, current);
    }
    if (outboxReason?.Code === 'ConditionalCheckFailed') {
      return new OutboxCollisionError(orderId, change.order.version);
    }
    const reasons = error.CancellationReasons ?? [];
    if (reasons.some((reason) => reason.Code === 'TransactionConflict')) {
      return new WriteConflictError(orderId, { cause: error });
    }
    return error;
  }
}

const fromWire = (item: Record<string, AttributeValue>): Record<string, unknown> => unmarshall(item);

/** The Order of a stored item, fields in the contract's order and nothing else. */
export const orderFromItem = (item: Record<string, unknown>): Order => {
  const order = item as unknown as Order;
  return {
    id: order.id,
    customerId: order.customerId,
    currency: order.currency,
    items: order.items.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice })),
    total: order.total,
    status: order.status,
    version: order.version,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    ...(order.trackingNumber === undefined ? {} : { trackingNumber: order.trackingNumber }),
    ...(order.cancellationReason === undefined ? {} : { cancellationReason: order.cancellationReason }),
  };
};

const toOutcome = (item: Record<string, unknown>): StoredOutcome => {
  const record = item as unknown as IdempotencyRecord;
  return { fingerprint: record.fingerprint, created: record.created, order: JSON.parse(record.order) as Order };
};
