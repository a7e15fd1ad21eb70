import { describe, expect, it } from 'vitest';
import type { Order } from '../../lambdas/domain/order';
import { outboxOf } from '../support/dynamodb';
import { STAFF, useE2e, validOrder } from '../support/e2e';

const ctx = useE2e({ caller: STAFF });

describe('POST /orders', () => {
  it('places an order at version 1 with its total, Location and ETag', async () => {
    const result = await ctx.post('/orders', validOrder());

    expect(result.status).toBe(201);
    const order = result.body as Order;
    expect(order).toMatchObject({
      customerId: 'c-1',
      currency: 'EUR',
      total: 2 * 1250 + 999,
      status: 'PLACED',
      version: 1,
    });
    expect(order.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(order.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(order.updatedAt).toBe(order.createdAt);
    expect(result.headers.get('location')).toBe(`/orders/${order.id}`);
    expect(result.headers.get('etag')).toBe('"1"');
    expect(result.headers.get('content-type')).toContain('application/json');
  });

  it('writes exactly one OrderPlaced event carrying the order as state', async () => {
    const order = await ctx.placeOrder({}, { 'x-correlation-id': 'orders-api-place' });

    const events = await outboxOf(ctx.doc, ctx.tables.outbox, order.id);

    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      aggregateId: order.id,
      version: 1,
      source: 'orders',
      detailType: 'OrderPlaced',
      aggregateType: 'Order',
    });
    expect(JSON.parse(event?.detail as string)).toEqual({
      eventId: event?.eventId,
      correlationId: 'orders-api-place',
      aggregateType: 'Order',
      aggregateId: order.id,
      version: 1,
      occurredAt: order.createdAt,
      data: { customerId: 'c-1', currency: 'EUR', items: order.items, total: order.total },
      state: order,
    });
  });
});

describe('order commands', () => {
  it('confirms, ships and versions an order, one event per step', async () => {
    const placed = await ctx.placeOrder();

    const confirmed = await ctx.post(`/orders/${placed.id}/confirm`);
    const shipped = await ctx.post(`/orders/${placed.id}/ship`, { trackingNumber: 'TRK-1' });

    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect(confirmed.headers.get('etag')).toBe('"2"');
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({ status: 'SHIPPED', version: 3, trackingNumber: 'TRK-1' });
    const events = await outboxOf(ctx.doc, ctx.tables.outbox, placed.id);
    expect(events.map((event) => event.detailType)).toEqual(['OrderPlaced', 'OrderConfirmed', 'OrderShipped']);
    expect(JSON.parse(events[2]?.detail as string).data).toEqual({ trackingNumber: 'TRK-1' });
  });

  it('accepts an empty JSON object as the body of a confirm', async () => {
    const placed = await ctx.placeOrder();

    const result = await ctx.post(`/orders/${placed.id}/confirm`, {});

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'CONFIRMED', version: 2 });
  });

  it('cancels a confirmed order and records the reason and previous status in the event', async () => {
    const placed = await ctx.placeOrder();
    await ctx.post(`/orders/${placed.id}/confirm`);

    const result = await ctx.post(`/orders/${placed.id}/cancel`, { reason: 'changed my mind' });

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'CANCELLED', version: 3, cancellationReason: 'changed my mind' });
    const events = await outboxOf(ctx.doc, ctx.tables.outbox, placed.id);
    expect(JSON.parse(events[2]?.detail as string).data).toEqual({
      previousStatus: 'CONFIRMED',
      reason: 'changed my mind',
    });
  });

  it('applies a command whose If-Match names the current version', async () => {
    const placed = await ctx.placeOrder();

    const result = await ctx.post(`/orders/${placed.id}/confirm`, undefined, { 'if-match': '"1"' });

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ version: 2 });
  });
});

describe('GET /orders/{id}', () => {
  it('returns the order with its ETag, and says which model answered', async () => {
    const placed = await ctx.placeOrder();

    const result = await ctx.get(`/orders/${placed.id}`);

    expect(result.status).toBe(200);
    expect(result.body).toEqual(placed);
    expect(result.headers.get('etag')).toBe('"1"');
    expect(['read-model', 'write-model']).toContain(result.headers.get('x-read-source'));
  });

  it('answers an X-Min-Version the order has reached', async () => {
    const placed = await ctx.placeOrder();
    await ctx.post(`/orders/${placed.id}/confirm`);

    const result = await ctx.get(`/orders/${placed.id}`, { 'x-min-version': '2' });

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ version: 2, status: 'CONFIRMED' });
  });
});

describe('the local HTTP API', () => {
  it('answers an unknown route the way API Gateway does', async () => {
    const result = await ctx.get('/nope');

    expect(result.status).toBe(404);
    expect(result.body).toEqual({ message: 'Not Found' });
  });
});
