import { Metrics } from '@aws-lambda-powertools/metrics';
import { randomUUID } from 'node:crypto';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { idempotencyRecordKey } from '../lambdas/adapters/dynamodb-order-repository';
import { changeBucketFor } from '../lambdas/adapters/order-changes';
import { type OrderChange, placeOrder } from '../lambdas/domain/order';
import { readJwtCaller } from '../lambdas/http/caller';
import { createPlaceOrderHandler } from '../lambdas/http/place-order';
import { newPendingOutboxItem } from '../lambdas/outbox/item';
import { OrderCommands } from '../lambdas/use-cases/order-commands';
import type { BenchTables } from './setup';

/** One way of writing an order; `prepare` builds the request untimed and returns the timed call. */
export interface WriteVariant {
  readonly key: WriteVariantKey;
  readonly name: string;
  readonly prepare: () => () => Promise<unknown>;
}

export type WriteVariantKey = 'put' | 'dual' | 'tx2' | 'tx3' | 'handler' | 'handlerKeyed';

const PENDING_SHARDS = 4;
const TTL_SECONDS = 86_400;
const OWNER = 'bench-staff';
const command = {
  customerId: 'c-bench',
  currency: 'EUR',
  items: [
    { sku: 'A-1', quantity: 2, unitPrice: 1250 },
    { sku: 'B-2', quantity: 1, unitPrice: 999 },
  ],
};

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The items `DynamoOrderRepository.commit` writes for a new order, built here by hand with the
 * same conditions and return settings: the order, its outbox event and (keyed) the idempotency
 * record. The baseline is the raw call the handler wraps, so it must carry exactly that.
 */
const rawTransaction = (tables: BenchTables['tables'], change: OrderChange, key: string | undefined): TransactItem[] => {
  const now = new Date();
  const { order, event } = change;
  const items: TransactItem[] = [
    {
      Put: {
        TableName: tables.orders,
        Item: { ...order, changeBucket: changeBucketFor(order.id, order.updatedAt) },
        ConditionExpression: 'attribute_not_exists(id)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: tables.outbox,
        Item: newPendingOutboxItem({ source: event.source, detailType: event.type, detail: event.detail }, PENDING_SHARDS, now),
        ConditionExpression: 'attribute_not_exists(aggregateId)',
      },
    },
  ];
  if (key !== undefined) {
    items.push({
      Put: {
        TableName: tables.idempotency,
        Item: {
          idempotencyKey: idempotencyRecordKey({ owner: OWNER, key }),
          fingerprint: 'f'.repeat(43),
          created: true,
          order: JSON.stringify(order),
          createdAt: now.toISOString(),
          expiresAt: Math.ceil(now.getTime() / 1000) + TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(idempotencyKey) OR expiresAt <= :nowSeconds',
        ExpressionAttributeValues: { ':nowSeconds': Math.floor(now.getTime() / 1000) },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  }
  return items;
};

/** `POST /orders` as API Gateway hands it to the function, from a staff caller the authorizer verified. */
const placeOrderEvent = (key: string | undefined): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'POST /orders',
    rawPath: '/orders',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    requestContext: {
      http: { method: 'POST', path: '/orders' },
      requestId: randomUUID(),
      routeKey: 'POST /orders',
      authorizer: { jwt: { claims: { sub: OWNER, 'cognito:groups': '[staff]' }, scopes: null } },
    },
    body: JSON.stringify(command),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

/**
 * The function's logger at its deployed level (INFO): each request still builds its JSON log
 * line, as on Lambda, but the line goes nowhere instead of into the bench's tables.
 */
const discardingLogger = (): Logger => {
  const logger = new Logger({ serviceName: 'orders', logLevel: 'INFO' });
  const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
  Object.assign(logger, { console: new Console({ stdout: nowhere, stderr: nowhere }) });
  return logger;
};

/** The function's metrics as deployed: each accepted command builds its EMF line, which goes nowhere. */
const discardingMetrics = (): Metrics => {
  const metrics = new Metrics({ namespace: 'orders', serviceName: 'orders' });
  const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
  Object.assign(metrics, { console: new Console({ stdout: nowhere, stderr: nowhere }) });
  return metrics;
};

const context = { functionName: 'place-order', awsRequestId: 'bench' } as unknown as Context;

export const writeVariants = (setup: BenchTables, eventBridge: EventBridgeClient): WriteVariant[] => {
  const { doc, tables, repository } = setup;
  const place = createPlaceOrderHandler(new OrderCommands(repository), discardingLogger(), discardingMetrics(), readJwtCaller);
  const run = (client: DynamoDBDocumentClient, input: TransactItem[]) => () =>
    client.send(new TransactWriteCommand({ TransactItems: input, ClientRequestToken: randomUUID() }));
  const putOrder = (change: OrderChange) =>
    new PutCommand({
      TableName: tables.orders,
      Item: { ...change.order, changeBucket: changeBucketFor(change.order.id, change.order.updatedAt) },
      ConditionExpression: 'attribute_not_exists(id)',
    });
  const handle = (key: string | undefined) => {
    const event = placeOrderEvent(key);
    return async () => {
      const response = await place(event, context);
      if (response.statusCode !== 201) throw new Error(`POST /orders answered ${response.statusCode}: ${response.body}`);
    };
  };
  const runId = Date.now().toString(36);
  let keys = 0;
  const newKey = (prefix: string): string => `${prefix}-${runId}-${(keys += 1)}`;
  return [
    {
      key: 'put',
      name: 'PutItem (order only)',
      prepare: () => {
        const put = putOrder(placeOrder(command));
        return () => doc.send(put);
      },
    },
    {
      key: 'dual',
      name: 'dual write: PutItem, then PutEvents',
      prepare: () => {
        const change = placeOrder(command);
        const put = putOrder(change);
        const events = new PutEventsCommand({
          Entries: [{ EventBusName: 'orders', Source: change.event.source, DetailType: change.event.type, Detail: JSON.stringify(change.event.detail) }],
        });
        return async () => {
          await doc.send(put);
          await eventBridge.send(events);
        };
      },
    },
    { key: 'tx2', name: 'TransactWriteItems: order + outbox', prepare: () => run(doc, rawTransaction(tables, placeOrder(command), undefined)) },
    {
      key: 'tx3',
      name: 'TransactWriteItems: + idempotency',
      prepare: () => run(doc, rawTransaction(tables, placeOrder(command), newKey('raw'))),
    },
    { key: 'handler', name: 'POST /orders handler, no key', prepare: () => handle(undefined) },
    { key: 'handlerKeyed', name: 'POST /orders handler, keyed', prepare: () => handle(newKey('key')) },
  ];
};
