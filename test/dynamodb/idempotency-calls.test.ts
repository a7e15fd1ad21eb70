import { Metrics } from '@aws-lambda-powertools/metrics';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoOrderRepository } from '../../lambdas/adapters/dynamodb-order-repository';
import { type Order, applyCommand, placeOrder } from '../../lambdas/domain/order';
import { createCancelOrderHandler } from '../../lambdas/http/cancel-order';
import { readJwtCaller } from '../../lambdas/http/caller';
import { createConfirmOrderHandler } from '../../lambdas/http/confirm-order';
import type { HttpHandler, HttpResponse } from '../../lambdas/http/http';
import { createPlaceOrderHandler } from '../../lambdas/http/place-order';
import { createShipOrderHandler } from '../../lambdas/http/ship-order';
import { OrderCommands } from '../../lambdas/use-cases/order-commands';
import {
  type DynamoCall,
  type TestTables,
  countAll,
  countingDynamoClient,
  createTestTables,
  documentClient,
  testDynamoClient,
  testRepository,
} from '../support/dynamodb';

/**
 * What a keyed command costs in DynamoDB calls, counted by a middleware on a real client against
 * DynamoDB Local: no lookup of the key before the transaction. The transaction is the check: its
 * condition on the idempotency record fails for a used key and hands back the stored outcome,
 * which is the replay or the 422.
 */
const setup = testDynamoClient();
const setupDoc = documentClient(setup);
const counted = countingDynamoClient();
const logger = new Logger({ logLevel: 'SILENT' });
/** Metrics are off in tests (POWERTOOLS_METRICS_DISABLED); the handlers still add them. */
const metrics = new Metrics({ namespace: 'test' });
const context = { functionName: 'test', awsRequestId: 'r-1' } as unknown as Context;
let tables: TestTables;
let arrange: DynamoOrderRepository;
let handlers: { place: HttpHandler; confirm: HttpHandler; ship: HttpHandler; cancel: HttpHandler };

beforeAll(async () => {
  tables = await createTestTables(setup);
  arrange = testRepository(setupDoc, tables);
  const commands = new OrderCommands(testRepository(documentClient(counted.client), tables));
  handlers = {
    place: createPlaceOrderHandler(commands, logger, metrics, readJwtCaller),
    confirm: createConfirmOrderHandler(commands, logger, metrics, readJwtCaller),
    ship: createShipOrderHandler(commands, logger, metrics, readJwtCaller),
    cancel: createCancelOrderHandler(commands, logger, metrics, readJwtCaller),
  };
});

beforeEach(() => {
  counted.calls.length = 0;
});

afterAll(() => {
  setup.destroy();
  counted.client.destroy();
});

const request = (path: string, body: unknown, key?: string): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    ...(path.split('/')[2] === undefined ? {} : { pathParameters: { id: path.split('/')[2] } }),
    requestContext: {
      http: { method: 'POST', path },
      requestId: 'r-1',
      routeKey: `POST ${path}`,
      authorizer: { jwt: { claims: { sub: 'staff-calls', 'cognito:groups': '[staff]' }, scopes: null } },
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const orderBody = { customerId: 'c-calls', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] };
const codeOf = (response: HttpResponse): unknown => (JSON.parse(response.body) as { error?: { code?: string } }).error?.code;

/** An order stored in `status`, written without the counting client. */
const storedOrder = async (status: 'PLACED' | 'CONFIRMED'): Promise<Order> => {
  const placed = placeOrder(orderBody);
  await arrange.commit(placed);
  if (status === 'PLACED') return placed.order;
  const confirmed = applyCommand(placed.order, { type: 'confirm' });
  await arrange.commit(confirmed);
  return confirmed.order;
};

const transaction = (): DynamoCall => ({ command: 'TransactWriteItems', tables: [tables.orders, tables.outbox, tables.idempotency] });
const readOfTheOrder = (): DynamoCall => ({ command: 'GetItem', tables: [tables.orders], consistentRead: true });
const readOfTheKey = (): DynamoCall => ({ command: 'GetItem', tables: [tables.idempotency], consistentRead: true });

describe('DynamoDB calls of a keyed POST /orders', () => {
  it('places an order with one call: the transaction', async () => {
    const response = await handlers.place(request('/orders', orderBody, 'k-place'), context);

    expect(response.statusCode).toBe(201);
    expect(counted.calls).toEqual([transaction()]);
  });

  it('replays a repeat from the transaction\'s answer, with one call and nothing written', async () => {
    const first = await handlers.place(request('/orders', orderBody, 'k-replay'), context);
    const before = await countAll(setupDoc, tables);
    counted.calls.length = 0;

    const again = await handlers.place(request('/orders', orderBody, 'k-replay'), context);

    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(counted.calls).toEqual([transaction()]);
    expect(await countAll(setupDoc, tables)).toEqual(before);
  });

  it('refuses a key reused for another body with 422 from the transaction\'s answer, with one call', async () => {
    await handlers.place(request('/orders', orderBody, 'k-reused'), context);
    const before = await countAll(setupDoc, tables);
    counted.calls.length = 0;

    const reused = await handlers.place(request('/orders', { ...orderBody, currency: 'USD' }, 'k-reused'), context);

    expect(reused.statusCode).toBe(422);
    expect(codeOf(reused)).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(counted.calls).toEqual([transaction()]);
    expect(await countAll(setupDoc, tables)).toEqual(before);
  });
});

describe('DynamoDB calls of a keyed command on an existing order', () => {
  it.each([
    ['confirm', 'PLACED', {}],
    ['ship', 'CONFIRMED', { trackingNumber: 'TRK-1' }],
    ['cancel', 'PLACED', { reason: 'changed my mind' }],
  ] as const)('runs a keyed %s with two calls: a consistent read of the order, then the transaction', async (command, status, body) => {
    const order = await storedOrder(status);
    counted.calls.length = 0;

    const response = await handlers[command](request(`/orders/${order.id}/${command}`, body, `k-${command}`), context);

    expect(response.statusCode).toBe(200);
    expect(counted.calls).toEqual([readOfTheOrder(), transaction()]);
  });

  it('refuses a key reused on another order with 422 from the transaction\'s answer, with two calls', async () => {
    const first = await storedOrder('PLACED');
    const second = await storedOrder('PLACED');
    await handlers.cancel(request(`/orders/${first.id}/cancel`, {}, 'k-cancel-reused'), context);
    const before = await countAll(setupDoc, tables);
    counted.calls.length = 0;

    const reused = await handlers.cancel(request(`/orders/${second.id}/cancel`, {}, 'k-cancel-reused'), context);

    expect(reused.statusCode).toBe(422);
    expect(counted.calls).toEqual([readOfTheOrder(), transaction()]);
    expect(await countAll(setupDoc, tables)).toEqual(before);
  });

  it('replays a repeat the order has moved past by looking the key up once the decision refuses it, with no transaction', async () => {
    // The original confirmed the order, so the retry's own decision is an invalid transition:
    // the refusal meets a key, and only then is the key read for the outcome it is owed.
    const order = await storedOrder('PLACED');
    const first = await handlers.confirm(request(`/orders/${order.id}/confirm`, {}, 'k-confirm-again'), context);
    counted.calls.length = 0;

    const again = await handlers.confirm(request(`/orders/${order.id}/confirm`, {}, 'k-confirm-again'), context);

    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(counted.calls).toEqual([readOfTheOrder(), readOfTheKey()]);
  });
});
