import { beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../lambdas/domain/order';
import type { TableCounts } from '../support/dynamodb';
import { type HttpResult, STAFF, useE2e, validOrder } from '../support/e2e';

/**
 * Every refusal of CONTRACT.md: the status, the code, the error body, and that nothing was
 * written (no order, no version bump, no outbox item, no idempotency record).
 */
const ctx = useE2e({ caller: STAFF });
let order: Order;

beforeAll(async () => {
  order = await ctx.placeOrder();
});

const expectRefusal = (result: HttpResult, status: number, code: string): void => {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toContain('application/json');
  const body = result.body as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(result.text).not.toMatch(/at .*\.ts|Exception|stack/i);
};

/** Runs `act`, then checks that no table changed and the order is still at version 1. */
const refusedWithoutWrites = async (act: () => Promise<HttpResult>): Promise<HttpResult> => {
  const before: TableCounts = await ctx.counts();
  const result = await act();
  expect(await ctx.counts()).toEqual(before);
  const current = await ctx.get(`/orders/${order.id}`);
  expect(current.body).toEqual(order);
  return result;
};

const details = (result: HttpResult): { path: string; message: string }[] =>
  (result.body as { error: { details: { path: string; message: string }[] } }).error.details;

describe('400 VALIDATION_FAILED', () => {
  it('refuses malformed JSON', async () => {
    const result = await refusedWithoutWrites(() =>
      ctx.request('POST', '/orders', { body: '{"customerId": ', headers: { 'content-type': 'application/json' } }),
    );
    expectRefusal(result, 400, 'VALIDATION_FAILED');
    expect(details(result)).toEqual([{ path: 'body', message: 'is not valid JSON' }]);
  });

  it('refuses a place-order request without a body', async () => {
    const result = await refusedWithoutWrites(() => ctx.post('/orders'));
    expectRefusal(result, 400, 'VALIDATION_FAILED');
  });

  it('lists every broken field rule in details', async () => {
    const result = await refusedWithoutWrites(() =>
      ctx.post('/orders', {
        customerId: '',
        currency: 'eur',
        items: [
          { sku: 'x'.repeat(65), quantity: 0, unitPrice: -1 },
          { sku: 'A', quantity: 1001, unitPrice: 100_000_001 },
          { sku: 'B', quantity: 1.5, unitPrice: 1.25 },
        ],
      }),
    );
    expectRefusal(result, 400, 'VALIDATION_FAILED');
    expect(details(result).map((issue) => issue.path).sort()).toEqual(
      [
        'body.customerId',
        'body.currency',
        'body.items.0.sku',
        'body.items.0.quantity',
        'body.items.0.unitPrice',
        'body.items.1.quantity',
        'body.items.1.unitPrice',
        'body.items.2.quantity',
        'body.items.2.unitPrice',
      ].sort(),
    );
  });

  it('refuses unknown fields, at the top and inside items', async () => {
    const result = await refusedWithoutWrites(() =>
      ctx.post('/orders', {
        ...validOrder(),
        discount: 10,
        items: [{ sku: 'A-1', quantity: 1, unitPrice: 1, colour: 'red' }],
      }),
    );
    expectRefusal(result, 400, 'VALIDATION_FAILED');
    expect(details(result)).toEqual(
      expect.arrayContaining([
        { path: 'body.discount', message: 'is not a known field' },
        { path: 'body.items.0.colour', message: 'is not a known field' },
      ]),
    );
  });

  it('refuses an order without items and one with 101 items', async () => {
    const empty = await refusedWithoutWrites(() => ctx.post('/orders', validOrder({ items: [] })));
    const tooMany = await refusedWithoutWrites(() =>
      ctx.post('/orders', validOrder({ items: Array.from({ length: 101 }, (_, i) => ({ sku: `S-${i}`, quantity: 1, unitPrice: 1 })) })),
    );
    expectRefusal(empty, 400, 'VALIDATION_FAILED');
    expectRefusal(tooMany, 400, 'VALIDATION_FAILED');
  });

  it('refuses a missing required field', async () => {
    const result = await refusedWithoutWrites(() => ctx.post('/orders', { customerId: 'c-1', items: validOrder().items }));
    expectRefusal(result, 400, 'VALIDATION_FAILED');
    expect(details(result).map((issue) => issue.path)).toEqual(['body.currency']);
  });

  it('refuses unknown fields in a command body', async () => {
    const result = await refusedWithoutWrites(() => ctx.post(`/orders/${order.id}/ship`, { trackingNumber: 'T', carrier: 'x' }));
    expectRefusal(result, 400, 'VALIDATION_FAILED');
  });

  it('refuses an Idempotency-Key that is empty, too long or not printable ASCII', async () => {
    for (const key of ['', 'k'.repeat(256), 'schl\u00fcssel']) {
      const result = await refusedWithoutWrites(() => ctx.post('/orders', validOrder(), { 'idempotency-key': key }));
      expectRefusal(result, 400, 'VALIDATION_FAILED');
      expect(details(result)).toEqual([
        { path: 'headers.Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' },
      ]);
    }
  });

  it('refuses a malformed If-Match', async () => {
    const result = await refusedWithoutWrites(() => ctx.post(`/orders/${order.id}/confirm`, undefined, { 'if-match': 'abc' }));
    expectRefusal(result, 400, 'VALIDATION_FAILED');
  });

  it('refuses a malformed X-Min-Version', async () => {
    const result = await ctx.get(`/orders/${order.id}`, { 'x-min-version': 'two' });
    expectRefusal(result, 400, 'VALIDATION_FAILED');
  });
});

describe('404 ORDER_NOT_FOUND', () => {
  it('refuses a command on an order that does not exist', async () => {
    const result = await refusedWithoutWrites(() => ctx.post('/orders/00000000-0000-4000-8000-000000000000/confirm'));
    expectRefusal(result, 404, 'ORDER_NOT_FOUND');
  });

  it('answers 404 for an order that does not exist', async () => {
    const result = await ctx.get('/orders/00000000-0000-4000-8000-000000000000');
    expectRefusal(result, 404, 'ORDER_NOT_FOUND');
  });

  it('answers 404 for an id that cannot name an order', async () => {
    const result = await refusedWithoutWrites(() => ctx.post(`/orders/${'x'.repeat(3000)}/cancel`));
    expectRefusal(result, 404, 'ORDER_NOT_FOUND');
  });
});

describe('409 INVALID_TRANSITION', () => {
  it('refuses to ship a placed order', async () => {
    const result = await refusedWithoutWrites(() => ctx.post(`/orders/${order.id}/ship`, { trackingNumber: 'T-1' }));
    expectRefusal(result, 409, 'INVALID_TRANSITION');
  });

  it('refuses every command on a shipped order', async () => {
    const shipped = await ctx.placeOrder();
    await ctx.post(`/orders/${shipped.id}/confirm`);
    await ctx.post(`/orders/${shipped.id}/ship`);
    const before = await ctx.counts();

    const results = [
      await ctx.post(`/orders/${shipped.id}/cancel`),
      await ctx.post(`/orders/${shipped.id}/confirm`),
      await ctx.post(`/orders/${shipped.id}/ship`),
    ];

    for (const result of results) expectRefusal(result, 409, 'INVALID_TRANSITION');
    expect(await ctx.counts()).toEqual(before);
    expect((await ctx.get(`/orders/${shipped.id}`, { 'x-min-version': '3' })).body).toMatchObject({ status: 'SHIPPED', version: 3 });
  });

  it('refuses to confirm a cancelled order', async () => {
    const cancelled = await ctx.placeOrder();
    await ctx.post(`/orders/${cancelled.id}/cancel`);
    const before = await ctx.counts();

    const result = await ctx.post(`/orders/${cancelled.id}/confirm`);

    expectRefusal(result, 409, 'INVALID_TRANSITION');
    expect(await ctx.counts()).toEqual(before);
  });
});

describe('412', () => {
  it('refuses a command whose If-Match is not the current version (VERSION_MISMATCH)', async () => {
    const result = await refusedWithoutWrites(() => ctx.post(`/orders/${order.id}/confirm`, undefined, { 'if-match': '"7"' }));
    expectRefusal(result, 412, 'VERSION_MISMATCH');
    expect((result.body as { error: { details: unknown } }).error.details).toEqual({ currentVersion: 1 });
  });

  it('refuses an X-Min-Version above the current version (VERSION_AHEAD)', async () => {
    const result = await ctx.get(`/orders/${order.id}`, { 'x-min-version': '2' });
    expectRefusal(result, 412, 'VERSION_AHEAD');
  });
});

describe('413 PAYLOAD_TOO_LARGE', () => {
  it('refuses a body over 64 KiB', async () => {
    const body = JSON.stringify({ ...validOrder(), customerId: 'x'.repeat(64 * 1024) });
    const result = await refusedWithoutWrites(() =>
      ctx.request('POST', '/orders', { body, headers: { 'content-type': 'application/json' } }),
    );
    expectRefusal(result, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('415 UNSUPPORTED_MEDIA_TYPE', () => {
  it('refuses a body that is not application/json', async () => {
    const result = await refusedWithoutWrites(() =>
      ctx.request('POST', '/orders', { body: JSON.stringify(validOrder()), headers: { 'content-type': 'text/plain' } }),
    );
    expectRefusal(result, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a binary body on a command', async () => {
    const result = await refusedWithoutWrites(() =>
      ctx.request('POST', `/orders/${order.id}/cancel`, {
        body: Buffer.from([0, 1, 2, 3]),
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
    expectRefusal(result, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('422 IDEMPOTENCY_KEY_REUSED', () => {
  it('refuses a key already used with another body', async () => {
    const first = await ctx.post('/orders', validOrder(), { 'idempotency-key': 'reuse-1' });
    expect(first.status).toBe(201);

    const result = await refusedWithoutWrites(() =>
      ctx.post('/orders', validOrder({ customerId: 'c-2' }), { 'idempotency-key': 'reuse-1' }),
    );

    expectRefusal(result, 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('refuses a key already used on another path', async () => {
    const placed = await ctx.placeOrder(undefined, { 'idempotency-key': 'reuse-2' });
    const before = await ctx.counts();

    const result = await ctx.post(`/orders/${placed.id}/confirm`, undefined, { 'idempotency-key': 'reuse-2' });

    expectRefusal(result, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await ctx.counts()).toEqual(before);
    expect((await ctx.get(`/orders/${placed.id}`)).body).toEqual(placed);
  });
});
