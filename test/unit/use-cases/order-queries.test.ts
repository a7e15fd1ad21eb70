import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../lambdas/domain/caller';
import { ForbiddenError, OrderNotFoundError, VersionAheadError } from '../../../lambdas/domain/errors';
import { type Order, placeOrder } from '../../../lambdas/domain/order';
import { InvalidCursorError } from '../../../lambdas/use-cases/errors';
import { encodeListCursor } from '../../../lambdas/use-cases/list-cursor';
import {
  MAX_MIN_VERSION_WAIT_MS,
  type OrderListPage,
  type OrderListPosition,
  type OrderListReader,
  OrderListing,
  OrderQueries,
  type OrderReader,
} from '../../../lambdas/use-cases/order-queries';

const owner: Caller = { sub: 'c-1', staff: false };
const stranger: Caller = { sub: 'c-2', staff: false };
const staff: Caller = { sub: 'staff-1', staff: true };
const order: Order = placeOrder({ customerId: 'c-1', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }).order;
const missingId = '00000000-0000-4000-8000-000000000000';

const readerOf = (...orders: Order[]) => {
  const calls: string[] = [];
  const reader: OrderReader = {
    get: async (id) => {
      calls.push(id);
      return orders.find((candidate) => candidate.id === id);
    },
  };
  return { reader, calls };
};

const failure = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('OrderQueries.get', () => {
  it("reads a customer's own order", async () => {
    const queries = new OrderQueries(readerOf(order).reader, readerOf(order).reader);

    expect(await queries.get(owner, order.id)).toEqual({ order, source: 'read-model' });
  });

  it("reads any customer's order for staff", async () => {
    const queries = new OrderQueries(readerOf(order).reader, readerOf(order).reader);

    expect((await queries.get(staff, order.id)).order).toEqual(order);
  });

  it("answers another customer's order ORDER_NOT_FOUND, reading what a missing one reads", async () => {
    const write = readerOf(order);
    const read = readerOf(order);
    const queries = new OrderQueries(write.reader, read.reader, { minVersionWaitMs: 0 });

    const foreign = await failure(queries.get(stranger, order.id));
    const missing = await failure(queries.get(stranger, missingId));

    expect(foreign).toBeInstanceOf(OrderNotFoundError);
    expect(missing).toBeInstanceOf(OrderNotFoundError);
    expect(write.calls).toEqual([order.id, missingId]);
    expect(read.calls).toEqual([order.id, missingId]);
  });

  it("answers another customer's order ORDER_NOT_FOUND, not VERSION_AHEAD, for a minimum version above it", async () => {
    const queries = new OrderQueries(readerOf(order).reader, readerOf().reader, { minVersionWaitMs: 0 });

    expect(await failure(queries.get(stranger, order.id, 5))).toBeInstanceOf(OrderNotFoundError);
    expect(await failure(queries.get(owner, order.id, 5))).toBeInstanceOf(VersionAheadError);
  });

  it('answers a minimum version from the write model alone by default, with one read', async () => {
    const write = readerOf({ ...order, version: 2 });
    const read = readerOf(order);

    const view = await new OrderQueries(write.reader, read.reader).get(owner, order.id, 2);

    expect(view).toEqual({ order: { ...order, version: 2 }, source: 'write-model' });
    expect(write.calls).toEqual([order.id]);
    expect(read.calls).toEqual([]);
  });

  it('answers VERSION_AHEAD after one read of the write model by default', async () => {
    const write = readerOf(order);
    const read = readerOf(order);

    const error = await failure(new OrderQueries(write.reader, read.reader).get(owner, order.id, 2));

    expect(error).toBeInstanceOf(VersionAheadError);
    expect(write.calls).toEqual([order.id]);
    expect(read.calls).toEqual([]);
  });

  it('polls the read model with the opt-in wait, and answers from it once it reaches the version', async () => {
    const write = readerOf({ ...order, version: 2 });
    const projections = [order, order, { ...order, version: 2 }];
    const read: string[] = [];
    const readModel: OrderReader = {
      get: async (id) => {
        read.push(id);
        return projections[read.length - 1];
      },
    };

    const view = await new OrderQueries(write.reader, readModel, { minVersionWaitMs: 5_000, pollIntervalMs: 1 }).get(owner, order.id, 2);

    expect(view).toEqual({ order: { ...order, version: 2 }, source: 'read-model' });
    expect(read).toHaveLength(3);
    expect(write.calls).toEqual([]);
  });

  it.each([
    ['a negative wait', { minVersionWaitMs: -1 }, /minVersionWaitMs is -1/],
    ['a fractional wait', { minVersionWaitMs: 2.5 }, /minVersionWaitMs is 2.5/],
    ['a wait over the maximum', { minVersionWaitMs: MAX_MIN_VERSION_WAIT_MS + 1 }, /from 0 to 5000/],
    ['a poll interval of 0', { pollIntervalMs: 0 }, /pollIntervalMs is 0/],
  ])('refuses %s', (_name, options, message) => {
    expect(() => new OrderQueries(readerOf().reader, readerOf().reader, options)).toThrow(message);
  });
});

const listReader = (page: OrderListPage = { items: [order] }) => {
  const calls: { customerId: string; limit: number; after: OrderListPosition | undefined }[] = [];
  const reader: OrderListReader = {
    listByCustomer: async (customerId, limit, after) => {
      calls.push({ customerId, limit, after });
      return page;
    },
  };
  return { reader, calls };
};

const position: OrderListPosition = { customerId: 'c-1', createdAt: order.createdAt, id: order.id };

describe('OrderListing', () => {
  it("lists a customer's own orders", async () => {
    const { reader, calls } = listReader();

    const list = await new OrderListing(reader).list(owner, { customerId: 'c-1', limit: 20 });

    expect(list).toEqual({ items: [order] });
    expect(calls).toEqual([{ customerId: 'c-1', limit: 20, after: undefined }]);
  });

  it("refuses a customer another customer's listing with FORBIDDEN, before reading", async () => {
    const { reader, calls } = listReader();

    const error = await failure(new OrderListing(reader).list(stranger, { customerId: 'c-1', limit: 20 }));

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(calls).toHaveLength(0);
  });

  it("lists any customer's orders for staff", async () => {
    const { reader, calls } = listReader();

    await new OrderListing(reader).list(staff, { customerId: 'c-1', limit: 5 });

    expect(calls).toEqual([{ customerId: 'c-1', limit: 5, after: undefined }]);
  });

  it('hands out the next position as a cursor, and resumes from it', async () => {
    const { reader, calls } = listReader({ items: [order], next: position });
    const listing = new OrderListing(reader);

    const first = await listing.list(owner, { customerId: 'c-1', limit: 1 });
    await listing.list(owner, { customerId: 'c-1', limit: 1, ...(first.nextCursor === undefined ? {} : { cursor: first.nextCursor }) });

    expect(first.nextCursor).toBe(encodeListCursor(position));
    expect(calls[1]?.after).toEqual(position);
  });

  it.each([
    ['a malformed cursor', 'eyJpZCI6IiJ9'],
    ["another customer's cursor", encodeListCursor({ ...position, customerId: 'c-2' })],
  ])('refuses %s before reading', async (_, cursor) => {
    const { reader, calls } = listReader();

    const error = await failure(new OrderListing(reader).list(staff, { customerId: 'c-1', limit: 20, cursor }));

    expect(error).toBeInstanceOf(InvalidCursorError);
    expect(calls).toHaveLength(0);
  });
});
