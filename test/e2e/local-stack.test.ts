import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, inject, it } from 'vitest';
import type { Order } from '../../lambdas/domain/order';
import { loadOrdersAssembly, startOrdersStack } from '../../local/apps/orders-stack';
import { localEventBridgeClient } from '../support/eventbridge';
import { eventually, STAFF, useE2e, validOrder } from '../support/e2e';

/** The local stack itself: admin routes, events flowing, faults, parity with the template, restarts. */
const ctx = useE2e({ caller: STAFF });

interface DeliveredEvent {
  readonly 'detail-type': string;
  readonly source: string;
  readonly detail: { eventId: string; aggregateId: string; version: number; state: Order; data: unknown };
}

const eventsOf = async (aggregateId?: string): Promise<DeliveredEvent[]> =>
  ((await ctx.get(`/_local/events${aggregateId === undefined ? '' : `?aggregateId=${aggregateId}`}`)).body as { events: DeliveredEvent[] })
    .events;



describe('the local stack', () => {
  it('reports itself healthy with its pollers and bus running', async () => {
    const result = await ctx.get('/_local/health');

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'ok', dynamodb: true, bus: true, streamPollers: 1 });
  });

  it("publishes an order's whole lifecycle to the bus with the contract's envelope", async () => {
    const placed = await ctx.placeOrder();
    await ctx.post(`/orders/${placed.id}/confirm`);
    const shipped = (await ctx.post(`/orders/${placed.id}/ship`, { trackingNumber: 'T-9' })).body as Order;

    const events = await eventually(() => eventsOf(placed.id), (list) => list.length >= 3);

    expect(events.map((event) => [event['detail-type'], event.detail.version])).toEqual([
      ['OrderPlaced', 1],
      ['OrderConfirmed', 2],
      ['OrderShipped', 3],
    ]);
    expect(events.every((event) => event.source === 'orders')).toBe(true);
    expect(events[2]?.detail).toMatchObject({
      aggregateType: 'Order',
      aggregateId: placed.id,
      data: { trackingNumber: 'T-9' },
      state: shipped,
    });
    const outbox = await eventually(async () => (await ctx.get('/_local/outbox')).body as { pending: number }, (o) => o.pending === 0);
    expect(outbox.pending).toBe(0);
  });

  it('loses no event when the bus fails entries and the relay crashes after publishing', async () => {
    expect((await ctx.setFaults({ eventBridgeFailureRate: 0.3, relayCrashAfterPublishRate: 0.3 })).status).toBe(200);
    const orders: Order[] = [];
    for (let i = 0; i < 12; i++) orders.push(await ctx.placeOrder({ customerId: `c-fault-${i}` }));
    for (const order of orders) await ctx.post(`/orders/${order.id}/confirm`);

    const stats = await eventually(
      async () => (await ctx.get('/_local/outbox')).body as { pending: number },
      (outbox) => outbox.pending === 0,
      45_000,
    );
    await ctx.setFaults({ eventBridgeFailureRate: 0, relayCrashAfterPublishRate: 0 });

    expect(stats.pending).toBe(0);
    const events = await eventsOf();
    for (const order of orders) {
      const versions = new Set(events.filter((e) => e.detail.aggregateId === order.id).map((e) => e.detail.version));
      expect([...versions].sort()).toEqual([1, 2]);
    }
    expect(ctx.api.functions.get('relay')?.coldStarts).toBeGreaterThan(1);
  });

  it('holds events back while the relay is paused and sends them when it resumes', async () => {
    await ctx.setFaults({ relayPaused: true });
    await sleep(300);
    const order = await ctx.placeOrder({ customerId: 'c-paused' });
    await sleep(1000);
    const whilePaused = await eventsOf(order.id);
    const outbox = (await ctx.get('/_local/outbox')).body as { pending: number; oldestPendingAgeMs: number };

    await ctx.setFaults({ relayPaused: false });
    const afterwards = await eventually(() => eventsOf(order.id), (list) => list.length > 0);

    expect(whilePaused).toEqual([]);
    expect(outbox.pending).toBeGreaterThanOrEqual(1);
    expect(outbox.oldestPendingAgeMs).toBeGreaterThanOrEqual(900);
    expect(afterwards.map((event) => event['detail-type'])).toEqual(['OrderPlaced']);
  });

  it('refuses faults out of range or unknown, and changes nothing', async () => {
    const before = (await ctx.get('/_local/faults')).body;

    const outOfRange = await ctx.setFaults({ eventBridgeFailureRate: 2 });
    const unknown = await ctx.setFaults({ chaos: true });

    expect(outOfRange.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect((await ctx.get('/_local/faults')).body).toEqual(before);
  });

  it('invokes a function on demand and answers 404 for one that does not exist', async () => {
    const relay = await ctx.post('/_local/functions/relay/invoke', { Records: [] });
    const missing = await ctx.post('/_local/functions/nope/invoke', {});

    expect(relay.status).toBe(200);
    expect(relay.body).toEqual({ batchItemFailures: [] });
    expect(missing.status).toBe(404);
  });
});

describe('parity with the template', () => {
  it('creates each table with the keys, indexes, stream and TTL the template defines', async () => {
    const template = ctx.api.template;
    for (const [logicalId, tableName] of Object.entries(ctx.api.tables)) {
      const defined = template.Resources[logicalId]?.Properties as Record<string, unknown>;
      const { Table } = await ctx.client.send(new DescribeTableCommand({ TableName: tableName }));
      const ttl = await ctx.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));

      expect(Table?.KeySchema).toEqual(defined.KeySchema);
      // DynamoDB lists indexes in no particular order.
      const byName = (a: { IndexName?: string }, b: { IndexName?: string }) => (a.IndexName ?? '').localeCompare(b.IndexName ?? '');
      expect((Table?.GlobalSecondaryIndexes ?? []).map((gsi) => ({ IndexName: gsi.IndexName, KeySchema: gsi.KeySchema, Projection: gsi.Projection })).sort(byName)).toEqual(
        [...((defined.GlobalSecondaryIndexes as { IndexName?: string }[] | undefined) ?? [])].sort(byName),
      );
      expect(Table?.StreamSpecification?.StreamViewType).toEqual((defined.StreamSpecification as { StreamViewType?: string } | undefined)?.StreamViewType);
      expect(ttl.TimeToLiveDescription?.AttributeName).toEqual((defined.TimeToLiveSpecification as { AttributeName?: string } | undefined)?.AttributeName);
    }
  });

  it("applies the mapping's filter: the relay never sees the MODIFY records its marks write", async () => {
    await ctx.placeOrder({ customerId: 'c-filter' });
    const poller = ctx.api.pollers[0]?.poller;

    const stats = await eventually(async () => ({ ...poller?.stats }), (s) => (s.filteredOut ?? 0) > 0);

    expect(stats.filteredOut).toBeGreaterThan(0);
  });

  it('refuses PutEvents with 11 entries, as AWS does', async () => {
    const entry = { Source: 'orders', DetailType: 'T', Detail: '{}' };

    const error = await localEventBridgeClient(ctx.api.eventBridgeEndpoint)
      .send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) }))
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ValidationException' });
  });
});

describe('a restart', () => {
  const CALLER = { sub: 'c-1', staff: false, expiresInSeconds: 600 };

  it('keeps orders and the event log, and publishes nothing again', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'local-stack-'));
    const assembly = loadOrdersAssembly(inject('cloudAssemblyDir'));
    try {
      const first = await startOrdersStack({ port: 0, assembly, dataDir, log: () => undefined, pollIntervalMs: 50 });
      const created = await fetch(`${first.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await first.issuer.mintToken(CALLER)}` },
        body: JSON.stringify(validOrder()),
      });
      const order = (await created.json()) as Order;
      await eventually(async () => first.events.length, (count) => count > 0);
      await first.close();

      const second = await startOrdersStack({ port: 0, assembly, dataDir, log: () => undefined, pollIntervalMs: 50 });
      try {
        // A restarted stack has a new key pair: tokens of the last run are refused, as another issuer's are.
        const read = await fetch(`${second.url}/orders/${order.id}`, {
          headers: { authorization: `Bearer ${await second.issuer.mintToken(CALLER)}` },
        });
        await sleep(1500);
        const events = (await (await fetch(`${second.url}/_local/events?aggregateId=${order.id}`)).json()) as { events: unknown[] };

        expect(read.status).toBe(200);
        expect(await read.json()).toEqual(order);
        expect(events.events).toHaveLength(1);
        expect(second.bus.calls).toHaveLength(0);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
