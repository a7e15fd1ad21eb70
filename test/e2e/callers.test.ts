import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Order } from '../../lambdas/domain/order';
import { type Caller, type HttpResult, STAFF, eventually, useE2e, validOrder } from '../support/e2e';

/**
 * CONTRACT.md's Callers table on the local stack, over real HTTP with tokens from
 * `POST /_local/token`: what a customer may do (for themselves only), what staff may do (for
 * anyone), idempotency keys that belong to their caller, and `GET /orders` cursors that are
 * checked whole. Every refusal is checked twice: its answer (status and code), and that it wrote
 * nothing (no order, outbox item or idempotency record, and no event on the bus).
 */
const ctx = useE2e();

/** Each test acts as customers of its own, so listings and counts never meet another test's. */
let customers = 0;
const newCustomer = (): Caller => {
  customers += 1;
  return { sub: `cust-${customers}-${randomUUID().slice(0, 8)}` };
};

interface ListPage {
  readonly items: Order[];
  readonly nextCursor?: string;
}

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: { path: string; message: string }[] };
}

const errorOf = (result: HttpResult): ErrorBody['error'] => (result.body as ErrorBody).error;

const expectRefusal = (result: HttpResult, status: number, code: string): void => {
  expect({ status: result.status, code: errorOf(result)?.code }).toEqual({ status, code });
  expect(result.text).not.toMatch(/at .*\.ts|Exception|stack/i);
};

/** Every event the local bus has accepted, once the relay has published every pending outbox item. */
const settledEventCount = async (): Promise<number> => {
  await eventually(
    async () => (await ctx.get('/_local/outbox')).body as { pending: number },
    (outbox) => outbox.pending === 0,
  );
  return ((await ctx.get('/_local/events')).body as { events: unknown[] }).events.length;
};

/**
 * Runs `act` and checks it wrote nothing: the same table counts after as before, and no new
 * event on `/_local/events` (the bus is settled before, so any new event would be this request's).
 */
const refusedWithoutWrites = async (act: () => Promise<HttpResult>): Promise<HttpResult> => {
  const before = { counts: await ctx.counts(), events: await settledEventCount() };

  const result = await act();

  expect(await ctx.counts()).toEqual(before.counts);
  expect(await settledEventCount()).toBe(before.events);
  return result;
};

/** A customer's listing once the read model holds `count` of their orders. */
const listingOf = async (customer: Caller, count: number, query = ''): Promise<ListPage> =>
  (
    await eventually(
      async () => ctx.as(customer).get(`/orders?limit=100${query}`),
      (result) => result.status === 200 && (result.body as ListPage).items.length >= count,
    )
  ).body as ListPage;

describe('POST /orders as a customer', () => {
  it('places the order for the caller when customerId is omitted', async () => {
    const customer = newCustomer();
    const { customerId: _, ...body } = validOrder();

    const result = await ctx.as(customer).post('/orders', body);

    expect(result.status).toBe(201);
    expect((result.body as Order).customerId).toBe(customer.sub);
  });

  it('places the order when customerId is the caller\'s own sub', async () => {
    const customer = newCustomer();

    const result = await ctx.as(customer).post('/orders', validOrder({ customerId: customer.sub }));

    expect(result.status).toBe(201);
    expect((result.body as Order).customerId).toBe(customer.sub);
  });

  it('refuses an order for another customerId with 403 FORBIDDEN and writes nothing', async () => {
    const [customer, other] = [newCustomer(), newCustomer()];

    const result = await refusedWithoutWrites(() =>
      ctx.as(customer).post('/orders', validOrder({ customerId: other.sub }), { 'idempotency-key': 'for-another' }),
    );

    expectRefusal(result, 403, 'FORBIDDEN');
  });
});

describe("another customer's order, for a customer", () => {
  it('answers a read with 404 ORDER_NOT_FOUND and the body a missing id gets', async () => {
    const [owner, intruder] = [newCustomer(), newCustomer()];
    const order = await ctx.as(owner).placeOrder();
    const missingId = randomUUID();
    const missing = await ctx.as(intruder).get(`/orders/${missingId}`);

    const result = await ctx.as(intruder).get(`/orders/${order.id}`);

    expectRefusal(result, 404, 'ORDER_NOT_FOUND');
    expect(result.text.replaceAll(order.id, missingId)).toBe(missing.text);
    expect(result.headers.get('etag')).toBeNull();
  });

  it('answers a read with X-Min-Version above its version with 404, never 412 VERSION_AHEAD', async () => {
    const [owner, intruder] = [newCustomer(), newCustomer()];
    const order = await ctx.as(owner).placeOrder();

    const result = await ctx.as(intruder).get(`/orders/${order.id}`, { 'x-min-version': '5' });

    expectRefusal(result, 404, 'ORDER_NOT_FOUND');
  });

  it('answers a cancel with 404 ORDER_NOT_FOUND and writes nothing', async () => {
    const [owner, intruder] = [newCustomer(), newCustomer()];
    const order = await ctx.as(owner).placeOrder();

    const result = await refusedWithoutWrites(() =>
      ctx.as(intruder).post(`/orders/${order.id}/cancel`, { reason: 'not mine' }, { 'idempotency-key': 'cancel-another' }),
    );

    expectRefusal(result, 404, 'ORDER_NOT_FOUND');
    expect((await ctx.as(owner).get(`/orders/${order.id}`)).body).toMatchObject({ status: 'PLACED', version: 1 });
  });

  it('refuses a listing of their orders with 403 FORBIDDEN', async () => {
    const [owner, intruder] = [newCustomer(), newCustomer()];
    await ctx.as(owner).placeOrder();

    const result = await refusedWithoutWrites(() => ctx.as(intruder).get(`/orders?customerId=${owner.sub}`));

    expectRefusal(result, 403, 'FORBIDDEN');
  });
});

describe('a customer on their own orders', () => {
  it('cancels their own order', async () => {
    const customer = newCustomer();
    const order = await ctx.as(customer).placeOrder();

    const result = await ctx.as(customer).post(`/orders/${order.id}/cancel`, { reason: 'changed my mind' });

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ id: order.id, status: 'CANCELLED', version: 2 });
  });

  it('lists their own orders, newest first, with customerId omitted', async () => {
    const customer = newCustomer();
    const first = await ctx.as(customer).placeOrder();
    const second = await ctx.as(customer).placeOrder();

    const page = await listingOf(customer, 2);

    expect(page.items.map((order) => order.id)).toEqual([second.id, first.id]);
    expect(page.items.every((order) => order.customerId === customer.sub)).toBe(true);
  });

  it.each(['confirm', 'ship'])('refuses to %s any order (own, another\'s, missing) with 403 FORBIDDEN and writes nothing', async (command) => {
    const [customer, other] = [newCustomer(), newCustomer()];
    const own = await ctx.as(customer).placeOrder();
    const others = await ctx.as(other).placeOrder();

    for (const id of [own.id, others.id, randomUUID()]) {
      const result = await refusedWithoutWrites(() =>
        ctx.as(customer).post(`/orders/${id}/${command}`, undefined, { 'idempotency-key': `${command}-${id}` }),
      );

      expectRefusal(result, 403, 'FORBIDDEN');
    }
    expect((await ctx.as(customer).get(`/orders/${own.id}`)).body).toMatchObject({ status: 'PLACED', version: 1 });
  });
});

describe('staff', () => {
  it('places an order for any customer', async () => {
    const customer = newCustomer();

    const result = await ctx.as(STAFF).post('/orders', validOrder({ customerId: customer.sub }));

    expect(result.status).toBe(201);
    expect((result.body as Order).customerId).toBe(customer.sub);
  });

  it('refuses an order without customerId with 400 VALIDATION_FAILED and writes nothing', async () => {
    const { customerId: _, ...body } = validOrder();

    const result = await refusedWithoutWrites(() => ctx.as(STAFF).post('/orders', body, { 'idempotency-key': 'staff-no-customer' }));

    expectRefusal(result, 400, 'VALIDATION_FAILED');
    expect(errorOf(result).details?.map((issue) => issue.path)).toContain('body.customerId');
  });

  it("confirms, ships and reads a customer's order", async () => {
    const order = await ctx.as(newCustomer()).placeOrder();

    const confirmed = await ctx.as(STAFF).post(`/orders/${order.id}/confirm`);
    const shipped = await ctx.as(STAFF).post(`/orders/${order.id}/ship`, { trackingNumber: 'TRACK-1' });
    const read = await ctx.as(STAFF).get(`/orders/${order.id}`, { 'x-min-version': '3' });

    expect([confirmed.status, shipped.status, read.status]).toEqual([200, 200, 200]);
    expect(confirmed.body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect(read.body).toEqual(shipped.body);
    expect(read.body).toMatchObject({ status: 'SHIPPED', version: 3, customerId: order.customerId });
  });

  it("cancels a customer's order", async () => {
    const order = await ctx.as(newCustomer()).placeOrder();

    const result = await ctx.as(STAFF).post(`/orders/${order.id}/cancel`, { reason: 'out of stock' });

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ id: order.id, status: 'CANCELLED', version: 2 });
  });

  it("lists any customer's orders with customerId", async () => {
    const customer = newCustomer();
    const order = await ctx.as(customer).placeOrder();

    const result = await eventually(
      async () => ctx.as(STAFF).get(`/orders?customerId=${customer.sub}`),
      (page) => page.status === 200 && (page.body as ListPage).items.length === 1,
    );

    expect(result.status).toBe(200);
    expect((result.body as ListPage).items.map((item) => item.id)).toEqual([order.id]);
  });

  it('refuses a listing without customerId with 400 VALIDATION_FAILED', async () => {
    const result = await refusedWithoutWrites(() => ctx.as(STAFF).get('/orders'));

    expectRefusal(result, 400, 'VALIDATION_FAILED');
    expect(errorOf(result).details?.map((issue) => issue.path)).toContain('query.customerId');
  });
});

describe('Idempotency-Key belongs to its caller', () => {
  it('makes two orders from the same key sent by two customers, neither replayed', async () => {
    const [first, second] = [newCustomer(), newCustomer()];
    const key = `shared-${randomUUID()}`;
    const { customerId: _, ...body } = validOrder();
    const before = await ctx.counts();

    const one = await ctx.as(first).post('/orders', body, { 'idempotency-key': key });
    const two = await ctx.as(second).post('/orders', body, { 'idempotency-key': key });

    expect([one.status, two.status]).toEqual([201, 201]);
    expect((one.body as Order).id).not.toBe((two.body as Order).id);
    expect([(one.body as Order).customerId, (two.body as Order).customerId]).toEqual([first.sub, second.sub]);
    expect([one.headers.get('idempotent-replayed'), two.headers.get('idempotent-replayed')]).toEqual([null, null]);
    expect(await ctx.counts()).toEqual({ orders: before.orders + 2, outbox: before.outbox + 2, idempotency: before.idempotency + 2 });
  });

  it('replays the same key sent twice by one customer and writes nothing the second time', async () => {
    const customer = newCustomer();
    const headers = { 'idempotency-key': `mine-${randomUUID()}` };
    const first = await ctx.as(customer).post('/orders', validOrder({ customerId: customer.sub }), headers);
    const before = { counts: await ctx.counts(), events: await settledEventCount() };

    const again = await ctx.as(customer).post('/orders', validOrder({ customerId: customer.sub }), headers);

    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await ctx.counts()).toEqual(before.counts);
    expect(await settledEventCount()).toBe(before.events);
  });
});

describe('GET /orders cursors', () => {
  const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

  /** A customer with three projected orders, and the nextCursor of their first page of one. */
  const customerWithCursor = async (): Promise<{ customer: Caller; orders: Order[]; cursor: string }> => {
    const customer = newCustomer();
    const orders = [await ctx.as(customer).placeOrder(), await ctx.as(customer).placeOrder(), await ctx.as(customer).placeOrder()];
    await listingOf(customer, orders.length);
    const page = (await ctx.as(customer).get('/orders?limit=1')).body as ListPage;
    expect(page.nextCursor).toEqual(expect.any(String));
    return { customer, orders, cursor: page.nextCursor as string };
  };

  it("pages a customer's own listing with its nextCursor", async () => {
    const { customer, orders, cursor } = await customerWithCursor();

    const next = await ctx.as(customer).get(`/orders?limit=5&cursor=${cursor}`);

    expect(next.status).toBe(200);
    expect((next.body as ListPage).items.map((order) => order.id)).toEqual([orders[1]?.id, orders[0]?.id]);
    expect((next.body as ListPage).nextCursor).toBeUndefined();
  });

  /** Each bad cursor, made from a valid one (`decoded` is its JSON) of the listing it is sent to. */
  const badCursors: [string, (valid: string, decoded: Record<string, unknown>) => string][] = [
    ['an emptied cursor (cursor=)', () => ''],
    ['an over-long cursor (4,097 characters)', (valid) => valid.padEnd(4097, 'A')],
    ['a cursor that is not base64url', () => '%21%21not*base64%21%21'],
    ['base64url that is not JSON', () => b64('not json {')],
    ['base64url of JSON that is not an object', () => b64('[1,2,3]')],
    ['a cursor whose id is emptied ({"id": ""})', (_, decoded) => b64({ ...decoded, id: '' })],
    ['a cursor whose createdAt is emptied ({"createdAt": ""})', (_, decoded) => b64({ ...decoded, createdAt: '' })],
    ['a cursor whose id is a number', (_, decoded) => b64({ ...decoded, id: 42 })],
    ['a cursor whose createdAt is not an ISO time', (_, decoded) => b64({ ...decoded, createdAt: 'yesterday' })],
    ['a cursor with a field missing', (_, decoded) => b64({ customerId: decoded.customerId, id: decoded.id })],
    ['a cursor with an extra field', (_, decoded) => b64({ ...decoded, limit: 1000 })],
  ];

  it.each(badCursors)('refuses %s with 400 VALIDATION_FAILED on query.cursor, never 500, and writes nothing', async (_name, make) => {
    const { customer, cursor } = await customerWithCursor();
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;

    const result = await refusedWithoutWrites(() => ctx.as(customer).get(`/orders?limit=1&cursor=${make(cursor, decoded)}`));

    expectRefusal(result, 400, 'VALIDATION_FAILED');
    expect(errorOf(result).details?.map((issue) => issue.path)).toEqual(['query.cursor']);
  });

  it("refuses another customer's cursor with 400 VALIDATION_FAILED, for a customer and for staff", async () => {
    const { customer: owner, cursor } = await customerWithCursor();
    const other = newCustomer();
    await ctx.as(other).placeOrder();

    const asCustomer = await refusedWithoutWrites(() => ctx.as(other).get(`/orders?cursor=${cursor}`));
    const asStaff = await refusedWithoutWrites(() => ctx.as(STAFF).get(`/orders?customerId=${other.sub}&cursor=${cursor}`));

    expect(owner.sub).not.toBe(other.sub);
    for (const result of [asCustomer, asStaff]) {
      expectRefusal(result, 400, 'VALIDATION_FAILED');
      expect(errorOf(result).details?.map((issue) => issue.path)).toEqual(['query.cursor']);
    }
  });
});
