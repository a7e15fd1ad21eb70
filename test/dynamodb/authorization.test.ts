import { Metrics } from '@aws-lambda-powertools/metrics';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoOrderRepository, idempotencyRecordKey } from '../../lambdas/adapters/dynamodb-order-repository';
import { DynamoReadModel } from '../../lambdas/adapters/dynamodb-read-model';
import type { Caller } from '../../lambdas/domain/caller';
import { type Order, placeOrder } from '../../lambdas/domain/order';
import { createCancelOrderHandler } from '../../lambdas/http/cancel-order';
import { readJwtCaller } from '../../lambdas/http/caller';
import type { HttpResponse } from '../../lambdas/http/http';
import { createListOrdersHandler } from '../../lambdas/http/list-orders';
import { createPlaceOrderHandler } from '../../lambdas/http/place-order';
import { encodeListCursor } from '../../lambdas/use-cases/list-cursor';
import { OrderCommands } from '../../lambdas/use-cases/order-commands';
import { OrderListing } from '../../lambdas/use-cases/order-queries';
import { type TestTables, countAll, createTestTables, documentClient, scanAll, testDynamoClient, testRepository } from '../support/dynamodb';

/** Who may do what, and whose idempotency keys are whose, against DynamoDB Local. */
const client = testDynamoClient();
const doc = documentClient(client);
const logger = new Logger({ logLevel: 'SILENT' });
/** Metrics are off in tests (POWERTOOLS_METRICS_DISABLED); the handlers still add them. */
const metrics = new Metrics({ namespace: 'test' });
const context = { functionName: 'test', awsRequestId: 'r-1' } as unknown as Context;
let tables: TestTables;
let repository: DynamoOrderRepository;
let readModel: DynamoReadModel;

const alice: Caller = { sub: 'alice', staff: false };
const bob: Caller = { sub: 'bob', staff: false };
const clerk: Caller = { sub: 'clerk', staff: true };

beforeAll(async () => {
  tables = await createTestTables(client);
  repository = testRepository(doc, tables);
  readModel = new DynamoReadModel(doc, tables.readModel);
});

afterAll(() => {
  client.destroy();
});

const request = (
  who: Caller,
  method: string,
  path: string,
  options: { body?: unknown; query?: Record<string, string>; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    ...(path.split('/')[2] === undefined ? {} : { pathParameters: { id: path.split('/')[2] } }),
    requestContext: {
      http: { method, path },
      requestId: 'r-1',
      routeKey: `${method} ${path}`,
      authorizer: { jwt: { claims: { sub: who.sub, ...(who.staff ? { 'cognito:groups': '[staff]' } : {}) }, scopes: null } },
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const bodyOf = (response: HttpResponse): unknown => JSON.parse(response.body);
const orderBody = { currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] };

describe('idempotency keys on DynamoDB Local belong to their caller', () => {
  it('makes two orders of one key and body from two customers, and replays each to its own caller', async () => {
    const place = createPlaceOrderHandler(new OrderCommands(repository), logger, metrics, readJwtCaller);
    const headers = { 'idempotency-key': 'shared-key' };
    const before = await countAll(doc, tables);

    const first = await place(request(alice, 'POST', '/orders', { body: orderBody, headers }), context);
    const second = await place(request(bob, 'POST', '/orders', { body: orderBody, headers }), context);
    const aliceAgain = await place(request(alice, 'POST', '/orders', { body: orderBody, headers }), context);
    const bobAgain = await place(request(bob, 'POST', '/orders', { body: orderBody, headers }), context);

    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(bodyOf(first)).toMatchObject({ customerId: 'alice' });
    expect(bodyOf(second)).toMatchObject({ customerId: 'bob' });
    expect(aliceAgain.headers['idempotent-replayed']).toBe('true');
    expect(aliceAgain.body).toBe(first.body);
    expect(bobAgain.body).toBe(second.body);
    expect(await countAll(doc, tables)).toEqual({
      orders: before.orders + 2,
      outbox: before.outbox + 2,
      idempotency: before.idempotency + 2,
    });
  });

  it('stores the key as the length-prefixed sub, then the key', async () => {
    const change = placeOrder({ customerId: 'carol', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] });

    await repository.commit(change, { owner: 'carol', key: 'k-encoded', fingerprint: 'f', created: true });

    const stored = (await scanAll(doc, tables.idempotency)).map((item) => item.idempotencyKey);
    expect(stored).toContain('5:carol:k-encoded');
  });

  it('keeps apart two callers whose sub and key run together alike', async () => {
    const one = placeOrder({ customerId: 'a:b', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] });
    const two = placeOrder({ customerId: 'a', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] });

    await repository.commit(one, { owner: 'a:b', key: 'c', fingerprint: 'f1', created: true });
    await repository.commit(two, { owner: 'a', key: 'b:c', fingerprint: 'f2', created: true });

    expect(idempotencyRecordKey({ owner: 'a:b', key: 'c' })).not.toBe(idempotencyRecordKey({ owner: 'a', key: 'b:c' }));
    expect(await repository.findOutcome({ owner: 'a:b', key: 'c' })).toMatchObject({ fingerprint: 'f1', order: { customerId: 'a:b' } });
    expect(await repository.findOutcome({ owner: 'a', key: 'b:c' })).toMatchObject({ fingerprint: 'f2', order: { customerId: 'a' } });
  });

  it("writes nothing for a customer's keyed placement for another customer (403)", async () => {
    const place = createPlaceOrderHandler(new OrderCommands(repository), logger, metrics, readJwtCaller);
    const before = await countAll(doc, tables);

    const response = await place(
      request(alice, 'POST', '/orders', { body: { ...orderBody, customerId: 'bob' }, headers: { 'idempotency-key': 'k-forbidden' } }),
      context,
    );

    expect(response.statusCode).toBe(403);
    expect(await countAll(doc, tables)).toEqual(before);
  });

  it("writes nothing for a customer's keyed cancel of another customer's order (404)", async () => {
    const theirs = placeOrder({ customerId: 'bob', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] });
    await repository.commit(theirs);
    const cancel = createCancelOrderHandler(new OrderCommands(repository), logger, metrics, readJwtCaller);
    const before = await countAll(doc, tables);

    const response = await cancel(
      request(alice, 'POST', `/orders/${theirs.order.id}/cancel`, { headers: { 'idempotency-key': 'k-foreign' } }),
      context,
    );

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toEqual({ error: { code: 'ORDER_NOT_FOUND', message: `Order ${theirs.order.id} does not exist.` } });
    expect(await countAll(doc, tables)).toEqual(before);
    expect(await repository.get(theirs.order.id)).toEqual(theirs.order);
  });
});

describe('GET /orders cursors against the read model on DynamoDB Local', () => {
  let listed: Order[];
  const list = (who: Caller, query: Record<string, string>) =>
    createListOrdersHandler(new OrderListing(readModel), logger, readJwtCaller)(request(who, 'GET', '/orders', { query }), context);

  beforeAll(async () => {
    listed = [];
    for (const [customerId, minute] of [['dora', 1], ['dora', 2], ['dora', 3], ['erin', 4]] as const) {
      const at = new Date(Date.UTC(2026, 10, 25, 10, minute));
      const { order } = placeOrder({ customerId, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }, { now: () => at });
      await readModel.apply(order, 1);
      if (customerId === 'dora') listed.unshift(order);
    }
  });

  it('pages through a customer\'s own orders, newest first, by the cursors it hands out', async () => {
    const dora: Caller = { sub: 'dora', staff: false };
    const seen: Order[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const response = await list(dora, { limit: '1', ...(cursor === undefined ? {} : { cursor }) });
      expect(response.statusCode).toBe(200);
      const body = bodyOf(response) as { items: Order[]; nextCursor?: string };
      seen.push(...body.items);
      cursor = body.nextCursor;
      if (cursor === undefined) break;
    }

    expect(seen).toEqual(listed);
  });

  const newest = (): Order => listed[0] as Order;
  const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  const keyOf = (order: Order) => ({ customerId: order.customerId, createdAt: order.createdAt, id: order.id });

  it.each<[string, () => string]>([
    ['{"id": ""}', () => cursorOf({ id: '' })],
    ['{"createdAt": ""}', () => cursorOf({ createdAt: '' })],
    ['the real key with its id emptied', () => cursorOf({ ...keyOf(newest()), id: '' })],
    ['the real key with its createdAt emptied', () => cursorOf({ ...keyOf(newest()), createdAt: '' })],
    ['the real key with a numeric createdAt', () => cursorOf({ ...keyOf(newest()), createdAt: Date.parse(newest().createdAt) })],
    ['the real key as DynamoDB wire values', () => cursorOf({ customerId: { S: 'dora' }, createdAt: { S: newest().createdAt }, id: { S: newest().id } })],
    ['the real key and one field more', () => cursorOf({ ...keyOf(newest()), status: 'PLACED' })],
    ['an over-long cursor', () => `${encodeListCursor(keyOf(newest()))}${'A'.repeat(5000)}`],
    ['a cursor that is not JSON', () => Buffer.from('dora').toString('base64url')],
  ])('refuses %s with 400 naming the cursor, never 500', async (_, cursor) => {
    const response = await list(clerk, { customerId: 'dora', cursor: cursor() });

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'query.cursor' }] } });
  });

  it("refuses a real cursor of another customer's listing", async () => {
    const erinsPage = bodyOf(await list(clerk, { customerId: 'erin', limit: '1' })) as { items: Order[] };
    const erins = erinsPage.items[0] as Order;

    const response = await list(clerk, { customerId: 'dora', cursor: encodeListCursor(keyOf(erins)) });

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: { details: [{ path: 'query.cursor', message: expect.stringMatching(/another customer/) as unknown }] } });
  });

  it('answers a well-formed cursor that names no stored order with the orders after that position', async () => {
    const between = { customerId: 'dora', createdAt: '2026-11-25T10:02:30.000Z', id: '00000000-0000-4000-8000-000000000000' };

    const response = await list(clerk, { customerId: 'dora', cursor: encodeListCursor(between) });

    expect(response.statusCode).toBe(200);
    expect((bodyOf(response) as { items: Order[] }).items.map((order) => order.createdAt)).toEqual([
      '2026-11-25T10:02:00.000Z',
      '2026-11-25T10:01:00.000Z',
    ]);
  });
});
