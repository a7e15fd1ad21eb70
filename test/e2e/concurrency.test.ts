import { describe, expect, it } from 'vitest';
import { DynamoOrderReader } from '../../lambdas/adapters/dynamodb-order-repository';
import type { Order } from '../../lambdas/domain/order';
import { outboxOf } from '../support/dynamodb';
import { STAFF, useE2e } from '../support/e2e';

const ctx = useE2e({ caller: STAFF });

const codeOf = (body: unknown): string | undefined => (body as { error?: { code?: string } }).error?.code;

describe('optimistic concurrency', () => {
  it('lets exactly one of 20 concurrent confirms succeed; the rest are invalid transitions', async () => {
    const order = await ctx.placeOrder();

    const results = await Promise.all(Array.from({ length: 20 }, () => ctx.post(`/orders/${order.id}/confirm`)));

    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    const refusals = results.filter((result) => result.status !== 200);
    expect(refusals.map((result) => [result.status, codeOf(result.body)])).toEqual(
      Array(19).fill([409, 'INVALID_TRANSITION']),
    );
    expect((await ctx.get(`/orders/${order.id}`, { 'x-min-version': '2' })).body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect(await outboxOf(ctx.doc, ctx.tables.outbox, order.id)).toHaveLength(2);
  });

  it('lets exactly one of 20 concurrent If-Match commands succeed; the other 19 get 412', async () => {
    const order = await ctx.placeOrder();
    const commands = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'confirm' : 'cancel'));

    const results = await Promise.all(
      commands.map((command) => ctx.post(`/orders/${order.id}/${command}`, undefined, { 'if-match': '"1"' })),
    );

    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    expect(results.filter((result) => result.status === 412).map((result) => codeOf(result.body))).toEqual(
      Array(19).fill('VERSION_MISMATCH'),
    );
    expect((await ctx.get(`/orders/${order.id}`, { 'x-min-version': '2' })).body).toMatchObject({ version: 2 });
  });

  it('keeps versions contiguous under concurrent commands on many orders', async () => {
    const orders = await Promise.all(Array.from({ length: 5 }, () => ctx.placeOrder()));

    await Promise.all(
      orders.flatMap((order) => [
        ...Array.from({ length: 4 }, () => ctx.post(`/orders/${order.id}/confirm`)),
        ...Array.from({ length: 4 }, () => ctx.post(`/orders/${order.id}/ship`)),
        ...Array.from({ length: 2 }, () => ctx.post(`/orders/${order.id}/cancel`)),
      ]),
    );

    for (const order of orders) {
      // The write model itself: the read model may still be catching up.
      const current = (await new DynamoOrderReader(ctx.doc, ctx.tables.orders).get(order.id)) as Order;
      const versions = (await outboxOf(ctx.doc, ctx.tables.outbox, order.id)).map((event) => event.version);
      expect(versions).toEqual(Array.from({ length: current.version }, (_, i) => i + 1));
    }
  });
});
