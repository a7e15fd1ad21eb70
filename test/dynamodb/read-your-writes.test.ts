import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoOrderReader } from '../../lambdas/adapters/dynamodb-order-repository';
import { DynamoReadModel } from '../../lambdas/adapters/dynamodb-read-model';
import { type OrderChange, applyCommand, placeOrder } from '../../lambdas/domain/order';
import { readJwtCaller } from '../../lambdas/http/caller';
import { createGetOrderHandler } from '../../lambdas/http/get-order';
import type { HttpHandler, HttpResponse } from '../../lambdas/http/http';
import { OrderProjector } from '../../lambdas/read-model/projector';
import { OrderQueries, type OrderQueriesOptions } from '../../lambdas/use-cases/order-queries';
import {
  type DynamoCall,
  type TestTables,
  countingDynamoClient,
  createTestTables,
  documentClient,
  testDynamoClient,
  testRepository,
} from '../support/dynamodb';
import { delivered } from '../support/eventbridge';

/**
 * `GET /orders/{id}` with `X-Min-Version` on DynamoDB Local, its DynamoDB calls counted by a
 * middleware on a real client: by default the write model answers at once with one strongly
 * consistent read; the wait for the read model is opt-in.
 */
const setup = testDynamoClient();
const setupDoc = documentClient(setup);
const counted = countingDynamoClient();
const countedDoc = documentClient(counted.client);
const logger = new Logger({ logLevel: 'SILENT' });
const context = { functionName: 'test', awsRequestId: 'r-1' } as unknown as Context;
let tables: TestTables;
let projector: OrderProjector;

beforeAll(async () => {
  tables = await createTestTables(setup);
  projector = new OrderProjector(new DynamoReadModel(setupDoc, tables.readModel));
});

beforeEach(() => {
  counted.calls.length = 0;
});

afterAll(() => {
  setup.destroy();
  counted.client.destroy();
});

const getOrder = (options?: OrderQueriesOptions): HttpHandler =>
  createGetOrderHandler(
    new OrderQueries(new DynamoOrderReader(countedDoc, tables.orders), new DynamoReadModel(countedDoc, tables.readModel), options),
    logger,
    new Metrics({ namespace: 'test' }),
    readJwtCaller,
  );

const request = (orderId: string, minVersion?: number): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'GET /orders/{id}',
    rawPath: `/orders/${orderId}`,
    rawQueryString: '',
    headers: minVersion === undefined ? {} : { 'x-min-version': String(minVersion) },
    pathParameters: { id: orderId },
    requestContext: {
      http: { method: 'GET', path: `/orders/${orderId}` },
      requestId: 'r-1',
      routeKey: 'GET /orders/{id}',
      authorizer: { jwt: { claims: { sub: 'staff-ryw', 'cognito:groups': '[staff]' }, scopes: null } },
    },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const bodyOf = (response: HttpResponse): unknown => JSON.parse(response.body);


/** An order placed and confirmed in the write model, with the read model still at the placement. */
const confirmedWithReadModelBehind = async (): Promise<{ placed: OrderChange; confirmed: OrderChange }> => {
  const placed = placeOrder({ customerId: 'c-ryw', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 10 }] });
  const confirmed = applyCommand(placed.order, { type: 'confirm' });
  const repository = testRepository(setupDoc, tables);
  await repository.commit(placed);
  await projector.project(delivered(placed));
  await repository.commit(confirmed);
  return { placed, confirmed };
};

const readOfTheWriteModel = (): DynamoCall => ({ command: 'GetItem', tables: [tables.orders], consistentRead: true });
const readOfTheReadModel = (): DynamoCall => ({ command: 'GetItem', tables: [tables.readModel], consistentRead: true });

describe('X-Min-Version by default (no wait)', () => {
  it('answers a read right after a write the read model has not reached from the write model, with one read', async () => {
    const { confirmed } = await confirmedWithReadModelBehind();
    counted.calls.length = 0;

    const response = await getOrder()(request(confirmed.order.id, 2), context);

    expect(response.statusCode).toBe(200);
    expect(response.headers['x-read-source']).toBe('write-model');
    expect(bodyOf(response)).toEqual(confirmed.order);
    expect(counted.calls).toEqual([readOfTheWriteModel()]);
  });

  it('answers 412 VERSION_AHEAD after one read of the write model', async () => {
    const { confirmed } = await confirmedWithReadModelBehind();
    counted.calls.length = 0;

    const response = await getOrder()(request(confirmed.order.id, 3), context);

    expect(response.statusCode).toBe(412);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'VERSION_AHEAD', details: { currentVersion: 2 } } });
    expect(counted.calls).toEqual([readOfTheWriteModel()]);
  });

  it('answers a read without X-Min-Version from the read model, with one read', async () => {
    const { placed, confirmed } = await confirmedWithReadModelBehind();
    counted.calls.length = 0;

    const response = await getOrder()(request(confirmed.order.id), context);

    expect(response.headers['x-read-source']).toBe('read-model');
    expect(bodyOf(response)).toEqual(placed.order);
    expect(counted.calls).toEqual([readOfTheReadModel()]);
  });
});

describe('X-Min-Version with the opt-in wait for the read model', () => {
  it('answers from the read model once the projector brings it to the version asked, without reading the write model', async () => {
    const { confirmed } = await confirmedWithReadModelBehind();
    counted.calls.length = 0;

    const reading = getOrder({ minVersionWaitMs: 5_000, pollIntervalMs: 10 })(request(confirmed.order.id, 2), context);
    await vi.waitFor(() => expect(counted.calls.length).toBeGreaterThan(0), { timeout: 5_000, interval: 5 });
    await projector.project(delivered(confirmed));
    const response = await reading;

    expect(response.headers['x-read-source']).toBe('read-model');
    expect(bodyOf(response)).toEqual(confirmed.order);
    expect(counted.calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(counted.calls.map((call) => call.tables[0]))).toEqual(new Set([tables.readModel]));
  });

  it('polls a read model that stays behind until the wait ends, then answers from the write model', async () => {
    const { confirmed } = await confirmedWithReadModelBehind();
    counted.calls.length = 0;

    const response = await getOrder({ minVersionWaitMs: 500, pollIntervalMs: 10 })(request(confirmed.order.id, 2), context);

    expect(response.headers['x-read-source']).toBe('write-model');
    expect(bodyOf(response)).toEqual(confirmed.order);
    expect(counted.calls.length).toBeGreaterThanOrEqual(3);
    expect(counted.calls.slice(0, -1).every((call) => call.tables[0] === tables.readModel)).toBe(true);
    expect(counted.calls.at(-1)).toEqual(readOfTheWriteModel());
  });
});
