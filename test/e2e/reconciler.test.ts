import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Order } from '../../lambdas/domain/order';
import { eventually, STAFF, useE2e } from '../support/e2e';

/** The reconciler and TTL pruning on the local stack, invoked as its schedule would. */
const ctx = useE2e({ caller: STAFF });



const eventIds = async (aggregateId: string): Promise<string[]> =>
  ((await ctx.get(`/_local/events?aggregateId=${aggregateId}`)).body as { events: { detail: { eventId: string } }[] }).events.map(
    (event) => event.detail.eventId,
  );

describe('the reconciler on the local stack', () => {
  it('publishes what stayed pending while the relay was paused, and leaves the young alone', async () => {
    await ctx.setFaults({ relayPaused: true });
    try {
      const orders = [await ctx.placeOrder(), await ctx.placeOrder()];

      const young = await ctx.post('/_local/functions/reconciler/invoke', {});
      const due = await ctx.post('/_local/functions/reconciler/invoke', { graceSeconds: 0 });

      expect(young.status).toBe(200);
      expect(young.body).toMatchObject({ sweep: { republished: 0 } });
      expect(due.body).toMatchObject({ sweep: { republished: 2, leftForNextRun: false } });
      for (const order of orders) expect(await eventIds(order.id)).toHaveLength(1);
      expect((await ctx.get('/_local/outbox')).body).toMatchObject({ pending: 0 });
    } finally {
      await ctx.setFaults({ relayPaused: false });
    }
  });

  it('repairs a read model knocked behind through the projector alone: the bus sees nothing', async () => {
    const placed = await ctx.placeOrder();
    const confirmed = (await ctx.post(`/orders/${placed.id}/confirm`)).body as Order;
    await eventually(
      async () => (await ctx.doc.send(new GetCommand({ TableName: ctx.tables.readModel, Key: { id: placed.id } }))).Item?.version,
      (version) => version === 2,
    );
    // Knock the read model back to version 1; a grace of 0 makes the lag count at once.
    await ctx.doc.send(new PutCommand({ TableName: ctx.tables.readModel, Item: { ...placed, lastProcessedVersion: 1 } }));
    const onTheBus = (await eventIds(placed.id)).length;

    const run = await ctx.post('/_local/functions/reconciler/invoke', { graceSeconds: 0 });
    const repaired = await eventually(
      async () => (await ctx.get(`/orders/${placed.id}`)).body as Order,
      (order) => order.version === 2,
    );

    expect(run.body).toMatchObject({ audit: { readModelBehind: expect.any(Number), readModelRepaired: expect.any(Number) } });
    expect((run.body as { audit: { readModelRepaired: number } }).audit.readModelRepaired).toBeGreaterThanOrEqual(1);
    expect(repaired).toEqual(confirmed);
    expect(await eventIds(placed.id)).toHaveLength(onTheBus);
  });

  it('still sweeps when the audit fails, and says why', async () => {
    await ctx.setFaults({ relayPaused: true, auditFails: true });
    try {
      const order = await ctx.placeOrder();

      const run = await ctx.post('/_local/functions/reconciler/invoke', { graceSeconds: 0 });

      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ sweep: { republished: 1 }, auditError: expect.stringContaining('InternalServerError') });
      expect(await eventIds(order.id)).toHaveLength(1);
    } finally {
      await ctx.setFaults({ relayPaused: false, auditFails: false });
    }
  });

  it('parks an order the bus refuses for good, holds its next version, and publishes both in order once retried', async () => {
    await ctx.setFaults({ relayPaused: true });
    const order = await ctx.placeOrder();
    await ctx.setFaults({ eventBridgeRejectAggregateIds: [order.id], relayPaused: false });
    try {
      await eventually(async () => (await ctx.get('/_local/outbox')).body as { parked: number }, (outbox) => outbox.parked >= 1);
      expect((await ctx.post(`/orders/${order.id}/confirm`)).status).toBe(200);
      await eventually(async () => (await ctx.get('/_local/outbox')).body as { parked: number }, (outbox) => outbox.parked >= 2);
      const other = await ctx.placeOrder();
      await eventually(async () => eventIds(other.id), (ids) => ids.length === 1);
      expect(await eventIds(order.id)).toEqual([]);
    } finally {
      await ctx.setFaults({ eventBridgeRejectAggregateIds: [] });
    }

    const run = await ctx.post('/_local/functions/reconciler/invoke', { retryParked: true, graceSeconds: 0 });

    expect(run.body).toMatchObject({ retried: { republished: 2, released: 1 }, parked: { count: 0 } });
    const events = ((await ctx.get(`/_local/events?aggregateId=${order.id}`)).body as { events: { detail: { version: number } }[] }).events;
    expect(events.map((event) => event.detail.version)).toEqual([1, 2]);
    expect((await ctx.get('/_local/outbox')).body).toMatchObject({ parked: 0 });
  });
});

