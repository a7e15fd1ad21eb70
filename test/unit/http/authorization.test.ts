import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../../lambdas/domain/caller';
import type { Order } from '../../../lambdas/domain/order';
import { createCancelOrderHandler } from '../../../lambdas/http/cancel-order';
import { type AuthMode, callerReader } from '../../../lambdas/http/caller';
import { createConfirmOrderHandler } from '../../../lambdas/http/confirm-order';
import { createGetOrderHandler } from '../../../lambdas/http/get-order';
import type { HttpHandler, HttpResponse } from '../../../lambdas/http/http';
import { createListOrdersHandler } from '../../../lambdas/http/list-orders';
import { createPlaceOrderHandler } from '../../../lambdas/http/place-order';
import { createShipOrderHandler } from '../../../lambdas/http/ship-order';
import { encodeListCursor } from '../../../lambdas/use-cases/list-cursor';
import { OrderCommands } from '../../../lambdas/use-cases/order-commands';
import { type OrderListPosition, OrderListing, OrderQueries } from '../../../lambdas/use-cases/order-queries';
import { InMemoryOrders } from '../../support/in-memory-orders';

/**
 * The Callers table of CONTRACT.md, route by route, through the real handlers and use cases on
 * an in-memory write model that counts every write (test/support/in-memory-orders.ts).
 */
const alice: Caller = { sub: 'alice', staff: false };
const bob: Caller = { sub: 'bob', staff: false };
const clerk: Caller = { sub: 'clerk', staff: true };
const missingId = '00000000-0000-4000-8000-000000000000';

interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

/** An HTTP API (payload 2.0) event as the JWT authorizer passes it on; `anonymous` has no authorizer context. */
const request = (who: Caller | 'anonymous', method: string, path: string, options: RequestOptions = {}): APIGatewayProxyEventV2 => {
  const id = path.split('/')[2];
  const claims = who === 'anonymous' ? undefined : { sub: who.sub, ...(who.staff ? { 'cognito:groups': '[staff]' } : {}) };
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    ...(id === undefined ? {} : { pathParameters: { id } }),
    requestContext: {
      http: { method, path },
      requestId: 'r-1',
      routeKey: `${method} ${path}`,
      ...(claims === undefined ? {} : { authorizer: { jwt: { claims, scopes: null } } }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
};

const context = { functionName: 'test', awsRequestId: 'r-1' } as unknown as Context;
const logger = new Logger({ logLevel: 'SILENT' });
/** Metrics are off in tests (POWERTOOLS_METRICS_DISABLED); the handlers still add them. */
const metrics = new Metrics({ namespace: 'test' });
const orderBody = { currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] };
const bodyOf = (response: HttpResponse): unknown => JSON.parse(response.body);

const routes = (store: InMemoryOrders, mode: AuthMode = 'jwt') => {
  const callers = callerReader(mode);
  const commands = new OrderCommands(store, { baseDelayMs: 0 });
  return {
    place: createPlaceOrderHandler(commands, logger, metrics, callers),
    confirm: createConfirmOrderHandler(commands, logger, metrics, callers),
    ship: createShipOrderHandler(commands, logger, metrics, callers),
    cancel: createCancelOrderHandler(commands, logger, metrics, callers),
    get: createGetOrderHandler(new OrderQueries(store, store, { minVersionWaitMs: 0 }), logger, metrics, callers),
    list: createListOrdersHandler(new OrderListing(store), logger, callers),
  };
};

let store: InMemoryOrders;
let api: ReturnType<typeof routes>;

beforeEach(() => {
  store = new InMemoryOrders();
  api = routes(store);
});

/** Runs a request that must be refused, and checks it wrote nothing. */
const refused = async (handler: HttpHandler, event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
  const before = store.snapshot();
  const commits = store.writes.commits;
  const response = await handler(event, context);
  expect(store.snapshot()).toBe(before);
  expect(store.writes.commits).toBe(commits);
  return response;
};

describe('POST /orders', () => {
  it("places a customer's order for themselves when customerId is left out", async () => {
    const response = await api.place(request(alice, 'POST', '/orders', { body: orderBody }), context);

    expect(response.statusCode).toBe(201);
    expect(bodyOf(response)).toMatchObject({ customerId: 'alice' });
  });

  it('places a customer\'s order when customerId is their own sub', async () => {
    const response = await api.place(request(alice, 'POST', '/orders', { body: { ...orderBody, customerId: 'alice' } }), context);

    expect(response.statusCode).toBe(201);
  });

  it('refuses a customer placing for another with 403 FORBIDDEN, and writes nothing', async () => {
    const event = request(alice, 'POST', '/orders', { body: { ...orderBody, customerId: 'bob' }, headers: { 'idempotency-key': 'k' } });

    const response = await refused(api.place, event);

    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toEqual({ error: { code: 'FORBIDDEN', message: 'A customer may place orders only for themselves.' } });
    expect(store.writes.lookups).toBe(0);
  });

  it('places an order for any customer when staff ask', async () => {
    const response = await api.place(request(clerk, 'POST', '/orders', { body: { ...orderBody, customerId: 'bob' } }), context);

    expect(response.statusCode).toBe(201);
    expect(bodyOf(response)).toMatchObject({ customerId: 'bob' });
  });

  it('refuses staff who name no customer with 400 at body.customerId, and writes nothing', async () => {
    const response = await refused(api.place, request(clerk, 'POST', '/orders', { body: orderBody }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: [{ path: 'body.customerId', message: 'is required when staff call' }] },
    });
  });

  it("answers a request without a caller with the gateway's 401, and writes nothing", async () => {
    const response = await refused(api.place, request('anonymous', 'POST', '/orders', { body: { ...orderBody, customerId: 'c-1' } }));

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ message: 'Unauthorized' });
  });

  it('treats a request without a caller as staff with AUTH_MODE none', async () => {
    const open = routes(store, 'none');

    const named = await open.place(request('anonymous', 'POST', '/orders', { body: { ...orderBody, customerId: 'c-1' } }), context);
    const unnamed = await open.place(request('anonymous', 'POST', '/orders', { body: orderBody }), context);

    expect(named.statusCode).toBe(201);
    expect(unnamed.statusCode).toBe(400);
  });

  it('makes two orders of one key and body sent by two customers', async () => {
    const headers = { 'idempotency-key': 'same-key' };

    const first = await api.place(request(alice, 'POST', '/orders', { body: orderBody, headers }), context);
    const second = await api.place(request(bob, 'POST', '/orders', { body: orderBody, headers }), context);

    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(bodyOf(second)).toMatchObject({ customerId: 'bob' });
    expect(store.orders.size).toBe(2);
  });
});

describe.each(['confirm', 'ship'] as const)('POST /orders/{id}/%s', (command) => {
  it.each([
    ['their own order', () => store.add('alice').id],
    ["another customer's order", () => store.add('bob').id],
    ['a missing order', () => missingId],
    ['an id that is no order id', () => 'not-an-order'],
  ])('refuses a customer on %s with 403 FORBIDDEN, and writes nothing', async (_, idOf) => {
    const response = await refused(api[command], request(alice, 'POST', `/orders/${idOf()}/${command}`, { headers: { 'idempotency-key': 'k' } }));

    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(store.writes.lookups).toBe(0);
  });
});

describe('POST /orders/{id}/confirm and /ship for staff', () => {
  it("confirms and ships any customer's order", async () => {
    const order = store.add('bob');

    const confirmed = await api.confirm(request(clerk, 'POST', `/orders/${order.id}/confirm`), context);
    const shipped = await api.ship(request(clerk, 'POST', `/orders/${order.id}/ship`), context);

    expect([confirmed.statusCode, shipped.statusCode]).toEqual([200, 200]);
    expect(bodyOf(shipped)).toMatchObject({ status: 'SHIPPED', version: 3 });
  });
});

describe('POST /orders/{id}/cancel', () => {
  it('cancels a customer\'s own order', async () => {
    const order = store.add('alice');

    const response = await api.cancel(request(alice, 'POST', `/orders/${order.id}/cancel`), context);

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ status: 'CANCELLED' });
  });

  it("answers a customer's cancel of another's order exactly as a missing order's, and writes nothing", async () => {
    const order = store.add('bob');
    const event = request(alice, 'POST', `/orders/${order.id}/cancel`, { headers: { 'idempotency-key': 'k' } });

    const foreign = await refused(api.cancel, event);
    const missing = await routes(new InMemoryOrders()).cancel(event, context);

    expect(foreign.statusCode).toBe(404);
    expect(foreign).toEqual(missing);
    expect(store.orders.get(order.id)).toEqual(order);
  });

  it("cancels any customer's order for staff", async () => {
    const order = store.add('bob');

    const response = await api.cancel(request(clerk, 'POST', `/orders/${order.id}/cancel`), context);

    expect(response.statusCode).toBe(200);
  });
});

describe('GET /orders/{id}', () => {
  it("reads a customer's own order", async () => {
    const order = store.add('alice');

    const response = await api.get(request(alice, 'GET', `/orders/${order.id}`), context);

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual(order);
  });

  it.each<Record<string, string>>([{}, { 'x-min-version': '1' }, { 'x-min-version': '9' }])(
    "answers another customer's order exactly as a missing order's (headers %j)",
    async (headers) => {
      const order = store.add('bob');
      const event = request(alice, 'GET', `/orders/${order.id}`, { headers });

      const foreign = await api.get(event, context);
      const missing = await routes(new InMemoryOrders()).get(event, context);

      expect(foreign.statusCode).toBe(404);
      expect(foreign).toEqual(missing);
    },
  );

  it("reads any customer's order for staff", async () => {
    const order = store.add('bob');

    const response = await api.get(request(clerk, 'GET', `/orders/${order.id}`), context);

    expect(response.statusCode).toBe(200);
  });
});

describe('GET /orders', () => {
  it("lists a customer's own orders when customerId is left out", async () => {
    const own = store.add('alice');
    store.add('bob');

    const response = await api.list(request(alice, 'GET', '/orders'), context);

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ items: [own] });
  });

  it("refuses a customer another customer's listing with 403 FORBIDDEN, reading nothing", async () => {
    store.add('bob');

    const response = await api.list(request(alice, 'GET', '/orders', { query: { customerId: 'bob' } }), context);

    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(store.writes.listings).toBe(0);
  });

  it('refuses staff who name no customer with 400 at query.customerId', async () => {
    const response = await api.list(request(clerk, 'GET', '/orders'), context);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: { details: [{ path: 'query.customerId' }] } });
  });

  it("lists any customer's orders for staff, a page at a time", async () => {
    const orders = [store.add('bob'), store.add('bob')];

    const first = bodyOf(await api.list(request(clerk, 'GET', '/orders', { query: { customerId: 'bob', limit: '1' } }), context)) as {
      items: Order[];
      nextCursor: string;
    };
    const second = bodyOf(
      await api.list(request(clerk, 'GET', '/orders', { query: { customerId: 'bob', limit: '1', cursor: first.nextCursor } }), context),
    ) as { items: Order[] };

    expect([...first.items, ...second.items]).toEqual(orders);
  });

  const at: OrderListPosition = { customerId: 'alice', createdAt: '2026-11-25T10:00:00.000Z', id: missingId };
  const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

  it.each<[string, string]>([
    ['{"id": ""}', cursorOf({ id: '' })],
    ['{"createdAt": ""}', cursorOf({ createdAt: '' })],
    ['an emptied id', cursorOf({ ...at, id: '' })],
    ['wrong types', cursorOf({ ...at, createdAt: 0, id: ['x'] })],
    ['an over-long cursor', 'A'.repeat(5000)],
    ['a cursor that is not JSON', Buffer.from('{not json').toString('base64url')],
    ['a cursor that is not base64url', '%%%'],
    ['an empty cursor', ''],
    ["another customer's cursor", encodeListCursor({ ...at, customerId: 'bob' })],
  ])('refuses %s with 400 VALIDATION_FAILED naming the cursor, reading nothing', async (_, cursor) => {
    const response = await api.list(request(alice, 'GET', '/orders', { query: { cursor } }), context);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'query.cursor' }] } });
    expect(store.writes.listings).toBe(0);
  });
});
