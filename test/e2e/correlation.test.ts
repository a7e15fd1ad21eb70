import { describe, expect, it } from 'vitest';
import type { Order } from '../../lambdas/domain/order';
import { STAFF, eventually, useE2e, validOrder } from '../support/e2e';

/**
 * One request followed by its correlation id on the local stack: the response header, the event
 * on the bus, and the projector's log line, as the functions write them.
 */
const logLines: { name: string; line: string }[] = [];
const ctx = useE2e({ caller: STAFF, functionLog: (name, line) => void logLines.push({ name, line }) });

interface DeliveredEvent {
  readonly 'detail-type': string;
  readonly detail: { readonly eventId: string; readonly correlationId?: string; readonly version: number };
}

const eventsOf = async (aggregateId: string): Promise<DeliveredEvent[]> =>
  ((await ctx.get(`/_local/events?aggregateId=${aggregateId}`)).body as { events: DeliveredEvent[] }).events;

/** The JSON log lines of every function with this message. */
const logged = (message: string): Record<string, unknown>[] =>
  logLines.flatMap(({ line }) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      return entry.message === message ? [entry] : [];
    } catch {
      return [];
    }
  });

describe('X-Correlation-Id', () => {
  it('carries the client’s id to the response, the event on the bus and the projector’s log line', async () => {
    const placed = await ctx.post('/orders', validOrder(), { 'x-correlation-id': 'e2e-corr-1' });
    const order = placed.body as Order;

    expect(placed.status).toBe(201);
    expect(placed.headers.get('x-correlation-id')).toBe('e2e-corr-1');
    const events = await eventually(() => eventsOf(order.id), (found) => found.length === 1);
    expect(events[0]?.detail).toMatchObject({ correlationId: 'e2e-corr-1', version: 1 });
    const projected = await eventually(
      async () => logged('Event projected').filter((entry) => entry.aggregateId === order.id),
      (found) => found.length > 0,
    );
    expect(projected[0]).toMatchObject({ correlationId: 'e2e-corr-1', eventId: events[0]?.detail.eventId });
    expect(logged('Order placed').find((entry) => entry.orderId === order.id)).toMatchObject({ correlationId: 'e2e-corr-1' });
  });

  it('gives each command its own id: a confirm under another id puts that one in its event', async () => {
    const order = await ctx.placeOrder({}, { 'x-correlation-id': 'e2e-corr-place' });

    const confirmed = await ctx.post(`/orders/${order.id}/confirm`, undefined, { 'x-correlation-id': 'e2e-corr-confirm' });

    expect(confirmed.headers.get('x-correlation-id')).toBe('e2e-corr-confirm');
    const events = await eventually(() => eventsOf(order.id), (found) => found.length === 2);
    expect(events.map((event) => [event.detail.version, event.detail.correlationId]).sort()).toEqual([
      [1, 'e2e-corr-place'],
      [2, 'e2e-corr-confirm'],
    ]);
  });

  it('replaces a malformed id with the request id, and goes on with the request', async () => {
    const placed = await ctx.post('/orders', validOrder(), { 'x-correlation-id': 'has spaces in it' });
    const order = placed.body as Order;

    expect(placed.status).toBe(201);
    const echoed = placed.headers.get('x-correlation-id');
    expect(echoed).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(echoed).not.toBe('has spaces in it');
    const events = await eventually(() => eventsOf(order.id), (found) => found.length === 1);
    expect(events[0]?.detail.correlationId).toBe(echoed);
  });

  it('uses the request id when the client sends none, a fresh one per request', async () => {
    const first = await ctx.post('/orders', validOrder());
    const second = await ctx.post('/orders', validOrder());

    expect(first.headers.get('x-correlation-id')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(second.headers.get('x-correlation-id')).not.toBe(first.headers.get('x-correlation-id'));
  });

  it('echoes the id on a refusal', async () => {
    const refused = await ctx.post('/orders', { currency: 'EUR' }, { 'x-correlation-id': 'e2e-corr-refused' });

    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-correlation-id')).toBe('e2e-corr-refused');
  });
});

describe('X-Correlation-Id and Idempotency-Key', () => {
  it('replays a keyed retry sent under another id: the event keeps the first id', async () => {
    const key = `corr-${Date.now()}`;
    const first = await ctx.post('/orders', validOrder(), { 'idempotency-key': key, 'x-correlation-id': 'e2e-corr-first' });
    const retry = await ctx.post('/orders', validOrder(), { 'idempotency-key': key, 'x-correlation-id': 'e2e-corr-retry' });
    const order = first.body as Order;

    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('x-correlation-id')).toBe('e2e-corr-retry');
    expect((retry.body as Order).id).toBe(order.id);
    const events = await eventually(() => eventsOf(order.id), (found) => found.length === 1);
    expect(events.map((event) => event.detail.correlationId)).toEqual(['e2e-corr-first']);
  });
});

describe('the tracer on the local stack', () => {
  it('stays silent: no function logs a word about segments or trace data off AWS', async () => {
    await ctx.placeOrder({}, { 'x-correlation-id': 'e2e-corr-silent' });
    await eventually(async () => logged('Event projected').filter((entry) => entry.correlationId === 'e2e-corr-silent'), (found) => found.length > 0);

    expect(logLines.filter(({ line }) => /segment|x-?ray|trace data|_X_AMZN_TRACE_ID/i.test(line))).toEqual([]);
  });
});
