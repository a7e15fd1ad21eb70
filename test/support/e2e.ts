import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { orderFromItem } from '../../lambdas/adapters/dynamodb-order-repository';
import type { Order } from '../../lambdas/domain/order';
import type { LocalFaults } from '../../local/apps/orders';
import { loadOrdersAssembly, startOrdersStack } from '../../local/apps/orders-stack';
import type { LocalStack } from '../../local/stack';
import { ordersTablesOf } from '../../local/apps/orders';
import { type TableCounts, type TestTables, countAll, documentClient, scanAll, testDynamoClient, uniquePrefix } from './dynamodb';

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body; `undefined` when it is not JSON. */
  readonly body: unknown;
}

/** Who a request comes from: the `sub` of its token, and whether the token is a staff member's. */
export interface Caller {
  readonly sub: string;
  readonly staff?: boolean;
}

/** The caller every request has unless a test says otherwise: a customer. */
export const CUSTOMER: Caller = { sub: 'c-1' };
/**
 * A member of the staff group, who may act on any order: the caller of the suites about the
 * outbox and the order lifecycle (confirm, ship, orders of many customers); who may do what has
 * suites of its own.
 */
export const STAFF: Caller = { sub: 'staff-1', staff: true };

export interface RequestInit {
  readonly body?: string | Buffer;
  /** An `authorization` header here (any case) is sent as it is, instead of the caller's token. */
  readonly headers?: Record<string, string>;
}

/**
 * Requests to the local stack as one caller: each carries `Authorization: Bearer <token>`, a
 * token minted for that caller through `POST /_local/token`, unless `headers` has its own
 * `authorization` (a forged or expired token, say). An anonymous client sends none.
 */
export interface E2eClient {
  /** `undefined`: anonymous, no token. */
  readonly caller: Caller | undefined;
  request(method: string, path: string, init?: RequestInit): Promise<HttpResult>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  get(path: string, headers?: Record<string, string>): Promise<HttpResult>;
  /** Places `validOrder(overrides)` (for a customer, `customerId` defaults to their `sub`) and expects 201. */
  placeOrder(overrides?: Partial<PlaceOrderBody>, headers?: Record<string, string>): Promise<Order>;
}

export interface E2eContext extends E2eClient {
  readonly api: LocalStack<LocalFaults>;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TestTables;
  /** The same requests as another caller, or with no token at all (`'anonymous'`). */
  as(caller: Caller | 'anonymous'): E2eClient;
  /** A token from `POST /_local/token`. */
  token(request: { sub: string; staff?: boolean; expiresInSeconds?: number }): Promise<string>;
  /** `PUT /_local/faults`. */
  setFaults(faults: Record<string, unknown>): Promise<HttpResult>;
  counts(): Promise<TableCounts>;
  close(): Promise<void>;
}

export interface PlaceOrderBody {
  customerId: string;
  currency: string;
  items: { sku: string; quantity: number; unitPrice: number }[];
}

export const validOrder = (overrides: Partial<PlaceOrderBody> = {}): PlaceOrderBody => ({
  customerId: 'c-1',
  currency: 'EUR',
  items: [
    { sku: 'A-1', quantity: 2, unitPrice: 1250 },
    { sku: 'B-2', quantity: 1, unitPrice: 999 },
  ],
  ...overrides,
});

/**
 * The local stack (the synthesized app: bundles, routes, relay, bus) over real HTTP, on tables of
 * its own in the tier's DynamoDB Local.
 */
export interface E2eOptions {
  readonly log?: (line: string) => void;
  /** Check one outbox event per order version at the end. @default true */
  readonly checkInvariant?: boolean;
  readonly environmentOverrides?: Record<string, string>;
  /** Every line a local function writes (its Powertools JSON logs), with the function's name. @default - dropped */
  readonly functionLog?: (name: string, line: string) => void;
  /** Who the context's own requests come from. @default CUSTOMER (`c-1`) */
  readonly caller?: Caller;
}

export const startE2e = async (options: E2eOptions = {}): Promise<E2eContext> => {
  const assembly = loadOrdersAssembly(inject('cloudAssemblyDir'));
  const api = await startOrdersStack({
    port: 0,
    assembly,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tablePrefix: uniquePrefix(),
    pollIntervalMs: 50,
    log: options.log ?? (() => undefined),
    ...(options.functionLog === undefined ? {} : { functionLog: options.functionLog }),
    ...(options.environmentOverrides === undefined ? {} : { environmentOverrides: options.environmentOverrides }),
  });
  const client = testDynamoClient();
  const doc = documentClient(client);
  const tables = ordersTablesOf(assembly.template, api.tables);

  const send = async (method: string, path: string, init: RequestInit = {}): Promise<HttpResult> => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, text, body };
  };
  const token: E2eContext['token'] = async ({ sub, staff = false, expiresInSeconds = 3600 }) => {
    const minted = await send('POST', '/_local/token', {
      body: JSON.stringify({ sub, staff, expiresInSeconds }),
      headers: { 'content-type': 'application/json' },
    });
    expect(minted.status).toBe(200);
    return (minted.body as { token: string }).token;
  };
  // One token per caller for the whole file: tokens last an hour.
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (caller: Caller): Promise<string> => {
    const key = JSON.stringify([caller.sub, caller.staff === true]);
    let minted = tokens.get(key);
    if (minted === undefined) {
      minted = token({ sub: caller.sub, staff: caller.staff === true });
      tokens.set(key, minted);
    }
    return minted;
  };
  const clientFor = (caller: Caller | undefined): E2eClient => {
    const request: E2eClient['request'] = async (method, path, init = {}) => {
      const headers = init.headers ?? {};
      const own = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
      return send(method, path, {
        ...init,
        headers: caller === undefined || own ? headers : { authorization: `Bearer ${await tokenOf(caller)}`, ...headers },
      });
    };
    const post: E2eClient['post'] = async (path, body, headers = {}) =>
      request('POST', path, {
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      });
    const get: E2eClient['get'] = async (path, headers = {}) => request('GET', path, { headers });
    const placeOrder: E2eClient['placeOrder'] = async (overrides, headers) => {
      const ownCustomer = caller === undefined || caller.staff === true ? {} : { customerId: caller.sub };
      const result = await post('/orders', validOrder({ ...ownCustomer, ...overrides }), headers);
      expect(result.status).toBe(201);
      return result.body as Order;
    };
    return { caller, request, post, get, placeOrder };
  };
  const own = clientFor(options.caller ?? CUSTOMER);
  const setFaults: E2eContext['setFaults'] = async (faults) =>
    send('PUT', '/_local/faults', { body: JSON.stringify(faults), headers: { 'content-type': 'application/json' } });
  return {
    ...own,
    api,
    client,
    doc,
    tables,
    as: (caller) => clientFor(caller === 'anonymous' ? undefined : caller),
    token,
    setFaults,
    counts: async () => countAll(doc, tables),
    close: async () => {
      await api.close();
      client.destroy();
    },
  };
};

const STATUS_AFTER: Record<string, Order['status']> = {
  OrderPlaced: 'PLACED',
  OrderConfirmed: 'CONFIRMED',
  OrderShipped: 'SHIPPED',
  OrderCancelled: 'CANCELLED',
};

/**
 * The project's invariant: every order has exactly one outbox event for each version 1..version,
 * and each event's state is the order as it was at that version (the last one equals the order).
 */
export const expectOutboxInvariant = async (context: E2eContext): Promise<number> => {
  const orders = (await scanAll(context.doc, context.tables.orders)).map(orderFromItem);
  // Version 0 holds control records (parking holds, the audit's cursor), never events.
  const events = (await scanAll(context.doc, context.tables.outbox)).filter((item) => (item.version as number) > 0);
  const byOrder = new Map<string, Record<string, unknown>[]>();
  for (const event of events) {
    const id = event.aggregateId as string;
    byOrder.set(id, [...(byOrder.get(id) ?? []), event]);
  }
  expect(new Set(byOrder.keys())).toEqual(new Set(orders.map((order) => order.id)));
  for (const order of orders) {
    const own = (byOrder.get(order.id) ?? []).sort((a, b) => (a.version as number) - (b.version as number));
    expect(own.map((event) => event.version)).toEqual(Array.from({ length: order.version }, (_, i) => i + 1));
    const details = own.map(
      (event) => JSON.parse(event.detail as string) as { version: number; occurredAt: string; state: Order },
    );
    details.forEach((detail, index) => {
      const { id, customerId, currency, items, total, createdAt } = order;
      expect(detail.version).toBe(index + 1);
      expect(detail.state).toMatchObject({ id, customerId, currency, items, total, createdAt, version: index + 1 });
      expect(detail.state.status).toBe(STATUS_AFTER[own[index]?.detailType as string]);
      expect(detail.state.updatedAt).toBe(detail.occurredAt);
    });
    expect(details.at(-1)?.state).toEqual(order);
  }
  return orders.length;
};

/**
 * Starts the local API before a test file's tests and stops it after them, checking the outbox
 * invariant on everything the file wrote. The returned object forwards to the running context.
 */
export const useE2e = (options: E2eOptions = {}): E2eContext => {
  let current: E2eContext | undefined;
  beforeAll(async () => {
    current = await startE2e(options);
  });
  afterAll(async () => {
    if (current === undefined) return;
    try {
      if (options.checkInvariant !== false) expect(await expectOutboxInvariant(current)).toBeGreaterThan(0);
    } finally {
      await current.close();
    }
  });
  return new Proxy({} as E2eContext, {
    get: (_, property) => {
      if (current === undefined) throw new Error('The e2e context is used before beforeAll ran.');
      return Reflect.get(current, property);
    },
  });
};

/** Probes until `done` says yes or time runs out; returns the last value either way. */
export const eventually = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
