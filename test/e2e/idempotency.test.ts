import { describe, expect, it } from 'vitest';
import type { Order } from '../../lambdas/domain/order';
import { outboxOf, scanAll } from '../support/dynamodb';
import { useE2e, validOrder } from '../support/e2e';

const ctx = useE2e();

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

  it('creates one order and one outbox item from 10 concurrent requests with one key', async () => {
    const before = await ctx.counts();
    const headers = { 'idempotency-key': 'burst-1' };

    const results = await Promise.all(Array.from({ length: 10 }, () => ctx.post('/orders', validOrder({ customerId: 'c-burst' }), headers)));

    expect(results.map((result) => result.status)).toEqual(Array(10).fill(201));
    const ids = new Set(results.map((result) => (result.body as Order).id));
    expect(ids.size).toBe(1);
    expect(results.filter((result) => result.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    const after = await ctx.counts();
    expect(after).toEqual({ orders: before.orders + 1, outbox: before.outbox + 1, idempotency: before.idempotency + 1 });
    const [id] = [...ids];
    expect(await outboxOf(ctx.doc, ctx.tables.outbox, id ?? '')).toHaveLength(1);
  });

  it('keeps a record for at least 24 hours, with a TTL on expiresAt', async () => {
    const started = Math.floor(Date.now() / 1000);
    await ctx.post('/orders', validOrder(), { 'idempotency-key': 'ttl-1' });

    const records = await scanAll(ctx.doc, ctx.tables.idempotency);
    const record = records.find((item) => item.idempotencyKey === 'ttl-1');

    expect(record?.expiresAt).toBeGreaterThanOrEqual(started + 24 * 60 * 60);
    expect(record?.expiresAt).toBeLessThanOrEqual(started + 24 * 60 * 60 + 5);
  });
});
