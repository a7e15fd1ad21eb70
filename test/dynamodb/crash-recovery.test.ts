import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoOrderRepository } from '../../lambdas/adapters/dynamodb-order-repository';
import type { Order } from '../../lambdas/domain/order';
import { readJwtCaller } from '../../lambdas/http/caller';
import { createConfirmOrderHandler } from '../../lambdas/http/confirm-order';
import { createPlaceOrderHandler } from '../../lambdas/http/place-order';
import { OrderCommands } from '../../lambdas/use-cases/order-commands';
import type { OrderRepository } from '../../lambdas/use-cases/ports';
import { type TestTables, countAll, createTestTables, documentClient, outboxOf, testDynamoClient, testRepository } from '../support/dynamodb';

/**
 * A Lambda that dies after its transaction commits and before API Gateway gets the response:
 * the client sees a failure and retries with its Idempotency-Key. The retry must find the
 * committed outcome and write nothing new.
 */
const client = testDynamoClient();
const doc = documentClient(client);
const logger = new Logger({ logLevel: 'SILENT' });
/** Metrics are off in tests (POWERTOOLS_METRICS_DISABLED); the handlers still add them. */
const metrics = new Metrics({ namespace: 'test' });
let tables: TestTables;
let repository: DynamoOrderRepository;

class ProcessDied extends Error {}

/** The real repository, but the process "dies" right after each commit returns. */
const dyingAfterCommit = (inner: OrderRepository): OrderRepository => ({
  get: async (id) => inner.get(id),
  findOutcome: async (key) => inner.findOutcome(key),
  commit: async (change, idempotency) => {
    await inner.commit(change, idempotency);
    throw new ProcessDied('killed between commit and response');
  },
});

const event = (method: string, path: string, body: unknown, headers: Record<string, string>): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    pathParameters: path.split('/')[2] === undefined ? undefined : { id: path.split('/')[2] },
    requestContext: {
      http: { method, path },
      requestId: 'r-1',
      routeKey: `${method} ${path}`,
      authorizer: { jwt: { claims: { sub: 'staff-crash', 'cognito:groups': '[staff]' }, scopes: null } },
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const context = { functionName: 'test', awsRequestId: 'r-1' } as unknown as Context;
const orderBody = { customerId: 'c-crash', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] };

beforeAll(async () => {
  tables = await createTestTables(client);
  repository = testRepository(doc, tables);
});

afterAll(() => {
  client.destroy();
});

describe('a crash between commit and response', () => {
  it('leaves a retried placement with its key exactly one order and one event', async () => {
    const crashing = createPlaceOrderHandler(new OrderCommands(dyingAfterCommit(repository)), logger, metrics, readJwtCaller);
    const healthy = createPlaceOrderHandler(new OrderCommands(repository), logger, metrics, readJwtCaller);
    const request = event('POST', '/orders', orderBody, { 'idempotency-key': 'crash-place' });

    const failed = await crashing(request, context);
    const afterCrash = await countAll(doc, tables);
    const retried = await healthy(request, context);

    expect(failed.statusCode).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({
      error: { code: 'INTERNAL_ERROR', message: 'The request could not be completed.' },
    });
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(await countAll(doc, tables)).toEqual(afterCrash);
    const order = JSON.parse(retried.body) as Order;
    expect(await outboxOf(doc, tables.outbox, order.id)).toHaveLength(1);
    expect(afterCrash.orders).toBe(1);
  });

  it('leaves a retried command with its key exactly one state change and one event', async () => {
    const placed = JSON.parse(
      (await createPlaceOrderHandler(new OrderCommands(repository), logger, metrics, readJwtCaller)(event('POST', '/orders', orderBody, {}), context)).body,
    ) as Order;
    const path = `/orders/${placed.id}/confirm`;
    const request = event('POST', path, undefined, { 'idempotency-key': 'crash-confirm' });

    const failed = await createConfirmOrderHandler(new OrderCommands(dyingAfterCommit(repository)), logger, metrics, readJwtCaller)(request, context);
    const retried = await createConfirmOrderHandler(new OrderCommands(repository), logger, metrics, readJwtCaller)(request, context);

    expect(failed.statusCode).toBe(500);
    expect(retried.statusCode).toBe(200);
    expect(JSON.parse(retried.body)).toMatchObject({ id: placed.id, status: 'CONFIRMED', version: 2 });
    expect((await outboxOf(doc, tables.outbox, placed.id)).map((item) => item.version)).toEqual([1, 2]);
  });
});
