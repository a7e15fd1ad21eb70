import { describe, expect, it } from 'vitest';
import type { Order } from '../../lambdas/domain/order';
import { outboxOf, scanAll } from '../support/dynamodb';
import { idempotencyRecordKey } from '../../lambdas/adapters/dynamodb-order-repository';
import { eventually, STAFF, useE2e, validOrder } from '../support/e2e';

const ctx = useE2e({ caller: STAFF });

interface DeliveredEvent {
  readonly 'detail-type': string;
  readonly detail: { readonly version: number };
}

const eventsOf = async (aggregateId: string): Promise<DeliveredEvent[]> =>
  ((await ctx.get(`/_local/events?aggregateId=${aggregateId}`)).body as { events: DeliveredEvent[] }).events;

/**
 * The events the bus accepted for an order once the relay has published (and marked) every outbox
 * item of it: counted any earlier, a missing event would look like none and a late duplicate
 * would go unseen.
 */
const settledEventsOf = async (aggregateId: string, versions: number): Promise<DeliveredEvent[]> => {
  await eventually(
    async () => outboxOf(ctx.doc, ctx.tables.outbox, aggregateId),
    (items) => items.length === versions && items.every((item) => item.status === 'PUBLISHED'),
  );
  return eventsOf(aggregateId);
};

describe('Idempotency-Key', () => {
  it('replays the first response, byte for byte, with Idempotent-Replayed: true', async () => {
    const headers = { 'idempotency-key': 'place-1' };
    const first = await ctx.post('/orders', validOrder(), headers);
    const before = await ctx.counts();

    const again = await ctx.post('/orders', validOrder(), headers);

    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await ctx.counts()).toEqual(before);
  });

  it('treats a body with other whitespace and key order as the same body', async () => {
    const headers = { 'idempotency-key': 'place-2', 'content-type': 'application/json' };
    const body = validOrder();
    const first = await ctx.request('POST', '/orders', { body: JSON.stringify(body), headers });

    const again = await ctx.request('POST', '/orders', {
      body: JSON.stringify({ items: body.items, currency: body.currency, customerId: body.customerId }, null, 2),
      headers,
    });

    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
  });

  it('replays a command response even after the order has moved on', async () => {
    const order = await ctx.placeOrder();
    const headers = { 'idempotency-key': 'confirm-1', 'if-match': '"1"' };
    const first = await ctx.post(`/orders/${order.id}/confirm`, undefined, headers);
    await ctx.post(`/orders/${order.id}/ship`);
    const before = await ctx.counts();

    const again = await ctx.post(`/orders/${order.id}/confirm`, undefined, headers);

    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await ctx.counts()).toEqual(before);
  });

  it('creates one order, one outbox item and one event from 10 concurrent requests with one key', async () => {
    const before = await ctx.counts();
    const headers = { 'idempotency-key': 'burst-1' };

    const results = await Promise.all(Array.from({ length: 10 }, () => ctx.post('/orders', validOrder({ customerId: 'c-burst' }), headers)));

    expect(results.map((result) => result.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((result) => result.text)).size).toBe(1);
    expect(results.filter((result) => result.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    const after = await ctx.counts();
    expect(after).toEqual({ orders: before.orders + 1, outbox: before.outbox + 1, idempotency: before.idempotency + 1 });
    const { id } = results[0]?.body as Order;
    expect(await outboxOf(ctx.doc, ctx.tables.outbox, id)).toHaveLength(1);
    expect((await settledEventsOf(id, 1)).map((event) => [event['detail-type'], event.detail.version])).toEqual([['OrderPlaced', 1]]);
  });

  it.each([
    ['without If-Match', 'confirm-burst-1', {}],
    ['with If-Match: "1"', 'confirm-burst-2', { 'if-match': '"1"' }],
  ])('answers 10 concurrent confirms with one key %s with one change and nine replays', async (_, key, ifMatch) => {
    const order = await ctx.placeOrder();
    const headers = { 'idempotency-key': key, ...ifMatch };

    const results = await Promise.all(Array.from({ length: 10 }, () => ctx.post(`/orders/${order.id}/confirm`, undefined, headers)));

    expect(results.map((result) => result.status)).toEqual(Array(10).fill(200));
    expect(results.filter((result) => result.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(new Set(results.map((result) => result.text)).size).toBe(1);
    expect(results[0]?.body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    const outbox = await outboxOf(ctx.doc, ctx.tables.outbox, order.id);
    expect(outbox.map((item) => [item.detailType, item.version])).toEqual([
      ['OrderPlaced', 1],
      ['OrderConfirmed', 2],
    ]);
    const events = await settledEventsOf(order.id, 2);
    expect(events.filter((event) => event.detail.version === 2).map((event) => event['detail-type'])).toEqual(['OrderConfirmed']);
  });

  it('keeps a record for at least 24 hours, with a TTL on expiresAt', async () => {
    const started = Math.floor(Date.now() / 1000);
    await ctx.post('/orders', validOrder(), { 'idempotency-key': 'ttl-1' });

    const records = await scanAll(ctx.doc, ctx.tables.idempotency);
    const record = records.find((item) => item.idempotencyKey === idempotencyRecordKey({ owner: STAFF.sub, key: 'ttl-1' }));

    expect(record?.expiresAt).toBeGreaterThanOrEqual(started + 24 * 60 * 60);
    expect(record?.expiresAt).toBeLessThanOrEqual(started + 24 * 60 * 60 + 5);
  });
});
