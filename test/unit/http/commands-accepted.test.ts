import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Order } from '../../../lambdas/domain/order';
import { callerReader } from '../../../lambdas/http/caller';
import { createCancelOrderHandler } from '../../../lambdas/http/cancel-order';
import { createPlaceOrderHandler } from '../../../lambdas/http/place-order';
import { OrderCommands } from '../../../lambdas/use-cases/order-commands';
import { InMemoryOrders } from '../../support/in-memory-orders';
import { captureMetrics } from '../../support/metrics';

const post = (path: string, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    ...(path.split('/')[2] === undefined ? {} : { pathParameters: { id: path.split('/')[2] } }),
    requestContext: {
      http: { method: 'POST', path },
      requestId: 'r-1',
      routeKey: `POST ${path}`,
      authorizer: { jwt: { claims: { sub: 'alice' }, scopes: null } },
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const context = { functionName: 'test', awsRequestId: 'r-1' } as unknown as Context;
const logger = new Logger({ logLevel: 'SILENT' });
const orderBody = { currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] };

/** The `CommandsAccepted` values of every EMF document the handlers published. */
const acceptedIn = (emitted: Record<string, unknown>[]): unknown[] => emitted.map((document) => document.CommandsAccepted).filter((value) => value !== undefined);

let metrics: Metrics;
let emitted: Record<string, unknown>[];
let place: ReturnType<typeof createPlaceOrderHandler>;
let cancel: ReturnType<typeof createCancelOrderHandler>;

beforeEach(() => {
  metrics = new Metrics({ namespace: 'orders', serviceName: 'orders' });
  emitted = captureMetrics(metrics);
  const commands = new OrderCommands(new InMemoryOrders(), { baseDelayMs: 0 });
  place = createPlaceOrderHandler(commands, logger, metrics, callerReader('jwt'));
  cancel = createCancelOrderHandler(commands, logger, metrics, callerReader('jwt'));
});

describe('CommandsAccepted', () => {
  it('counts one for a placed order', async () => {
    const response = await place(post('/orders', orderBody), context);

    expect(response.statusCode).toBe(201);
    expect(acceptedIn(emitted)).toEqual([1]);
  });

  it('counts one for a command applied to an existing order', async () => {
    const placed = JSON.parse((await place(post('/orders', orderBody), context)).body) as Order;

    const response = await cancel(post(`/orders/${placed.id}/cancel`, {}), context);

    expect(response.statusCode).toBe(200);
    expect(acceptedIn(emitted)).toEqual([1, 1]);
  });

  it('does not count a replayed request: it committed nothing', async () => {
    const first = await place(post('/orders', orderBody, { 'idempotency-key': 'k-1' }), context);

    const replay = await place(post('/orders', orderBody, { 'idempotency-key': 'k-1' }), context);

    expect(first.statusCode).toBe(201);
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    expect(acceptedIn(emitted)).toEqual([1]);
  });

  it('does not count a refused command', async () => {
    const response = await cancel(post('/orders/00000000-0000-4000-8000-000000000000/cancel', {}), context);

    expect(response.statusCode).toBe(404);
    expect(acceptedIn(emitted)).toEqual([]);
  });
});
