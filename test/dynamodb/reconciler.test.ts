import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoReadModel } from '../../lambdas/adapters/dynamodb-read-model';
import { type OrderChange, applyCommand, placeOrder } from '../../lambdas/domain/order';
import { toEntry } from '../../lambdas/outbox/entries';
import type { OutboxItem } from '../../lambdas/outbox/item';
import { OutboxDispatcher } from '../../lambdas/outbox/dispatcher';
import { OutboxMarker } from '../../lambdas/outbox/marker';
import type { AuditRunOptions } from '../../lambdas/outbox/reconciler-handler';
import { EventBridgePublisher } from '../../lambdas/outbox/publisher';
import { OutboxSweeper } from '../../lambdas/outbox/reconciler';
import { OrdersAudit } from '../../lambdas/adapters/dynamodb-orders-audit';
import { scanAll, testRepository } from '../support/dynamodb';
import { localEventBridgeClient, outboxItem } from '../support/eventbridge';
import { type RelayFixture, startRelayFixture } from '../support/relay';

/** The reconciler on DynamoDB Local, with the relay not running (as if paused or broken). */
let fixture: RelayFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const publisherOf = (f: RelayFixture) =>
  new EventBridgePublisher(localEventBridgeClient(f.bus.endpoint), { eventBusName: 'orders-bus', baseDelayMs: 1 });

const sweeperOf = (f: RelayFixture, marker = new OutboxMarker(f.doc, { tableName: f.tables.outbox })) =>
  new OutboxSweeper(f.doc, f.tables.outbox, new OutboxDispatcher(publisherOf(f), marker, f.parker));

/** The audit's repair port, recording what it would hand the projector. */
const recordingRepairer = () => {
  const repaired: OutboxItem[] = [];
  return { repaired, repair: async (item: OutboxItem) => void repaired.push(item) };
};

const auditRun = (graceSeconds: number, overrides: Partial<AuditRunOptions> = {}): AuditRunOptions => ({
  windowHours: 24,
  graceSeconds,
  deadline: Number.POSITIVE_INFINITY,
  maxOrders: 1000,
  maxRepairs: 100,
  ...overrides,
});

const newOrder = (customerId = 'c-rec'): OrderChange =>
  placeOrder({ customerId, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] });

const commit = async (f: RelayFixture, count: number): Promise<OrderChange[]> => {
  const repository = testRepository(f.doc, f.tables);
  const changes = Array.from({ length: count }, () => newOrder());
  for (const change of changes) await repository.commit(change);
  return changes;
};

describe('the outbox sweep', () => {
  it('publishes every pending event exactly as the relay would have, and marks it', async () => {
    fixture = await startRelayFixture();
    const changes = await commit(fixture, 20);
    const stored = (await scanAll(fixture.doc, fixture.tables.outbox)) as unknown as OutboxItem[];

    const report = await sweeperOf(fixture).sweep({ graceSeconds: 0, maxItems: 1000 });

    expect(report).toMatchObject({ republished: 20, leftForNextRun: false, mark: { marked: 20 } });
    const published = fixture.bus.accepted.map((accepted) => accepted.event);
    for (const item of stored) {
      const entry = toEntry(item, 'orders-bus');
      const event = published.find((e) => (e.detail as { eventId?: string }).eventId === item.eventId);
      expect(event).toMatchObject({ source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail ?? '') });
    }
    expect(published).toHaveLength(changes.length);
    const after = await scanAll(fixture.doc, fixture.tables.outbox);
    expect(after.every((item) => item.status === 'PUBLISHED' && typeof item.expiresAt === 'number' && item.pendingShard === undefined)).toBe(true);
  });

  it('leaves items younger than the grace period to the relay', async () => {
    fixture = await startRelayFixture();
    await commit(fixture, 3);

    const report = await sweeperOf(fixture).sweep({ graceSeconds: 120, maxItems: 1000 });

    expect(report).toMatchObject({ republished: 0, leftForNextRun: false });
    expect(report.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
    expect(report.oldestPendingAgeMs).toBeLessThan(60_000);
    expect(fixture.bus.accepted).toEqual([]);
  });

  it('takes at most a run\'s worth, oldest first, and says that items are left', async () => {
    fixture = await startRelayFixture();
    const changes = await commit(fixture, 12);

    const first = await sweeperOf(fixture).sweep({ graceSeconds: 0, maxItems: 5 });
    const second = await sweeperOf(fixture).sweep({ graceSeconds: 0, maxItems: 5 });
    const third = await sweeperOf(fixture).sweep({ graceSeconds: 0, maxItems: 5 });

    expect([first, second, third].map((r) => [r.republished, r.leftForNextRun])).toEqual([
      [5, true],
      [5, true],
      [2, false],
    ]);
    const order = fixture.bus.accepted.map((accepted) => (accepted.event.detail as { eventId: string }).eventId);
    expect(order.slice(0, 5).sort()).toEqual(changes.slice(0, 5).map((c) => c.event.detail.eventId).sort());
  });

  it('reads on the order of the pending items, not the table: 10 pending among 10,000 published', async () => {
    fixture = await startRelayFixture();
    const published = Array.from({ length: 10_000 }, (_, i) => {
      const { sequenceNumber: _s, ...item } = outboxItem(`old-${i}`, 1);
      return { ...item, status: 'PUBLISHED', publishedAt: '2026-11-25T10:00:01.000Z', expiresAt: 1_900_000_000 };
    });
    for (let i = 0; i < published.length; i += 25) {
      await fixture.doc.send(
        new BatchWriteCommand({ RequestItems: { [fixture.tables.outbox]: published.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }),
      );
    }
    await commit(fixture, 10);

    const report = await sweeperOf(fixture).sweep({ graceSeconds: 0, maxItems: 1000 });

    expect(report.republished).toBe(10);
    // 10 pending items, plus at most one look at the oldest item of each of the 4 shards.
    expect(report.itemsRead).toBeLessThanOrEqual(14);
  }, 120_000);

  it('republishes nothing it had marked when a crashed run runs again, and loses nothing', async () => {
    fixture = await startRelayFixture();
    const changes = await commit(fixture, 10);
    const base = new OutboxMarker(fixture.doc, { tableName: fixture.tables.outbox });
    const crashingMarker = Object.assign(Object.create(base) as OutboxMarker, {
      markPublished: async (keys: readonly { aggregateId: string; version: number }[], at: Date) => {
        await base.markPublished(keys.slice(0, 4), at);
        throw new Error('runtime died half-way through marking');
      },
    });

    await expect(sweeperOf(fixture, crashingMarker).sweep({ graceSeconds: 0, maxItems: 1000 })).rejects.toThrow(/half-way/);
    const firstRun = fixture.bus.accepted.length;
    const marked = new Set(
      (await scanAll(fixture.doc, fixture.tables.outbox)).filter((item) => item.status === 'PUBLISHED').map((item) => item.eventId),
    );
    fixture.bus.reset();
    const again = await sweeperOf(fixture).sweep({ graceSeconds: 0, maxItems: 1000 });

    const secondRun = fixture.bus.accepted.map((accepted) => (accepted.event.detail as { eventId: string }).eventId);
    expect(firstRun).toBe(10);
    expect(marked.size).toBe(4);
    expect(secondRun.filter((id) => marked.has(id))).toEqual([]);
    expect(again.republished).toBe(6);
    expect((await scanAll(fixture.doc, fixture.tables.outbox)).every((item) => item.status === 'PUBLISHED')).toBe(true);
    expect(new Set([...marked, ...secondRun])).toEqual(new Set(changes.map((c) => c.event.detail.eventId)));
  });
});

describe('the orders audit', () => {
  const auditOf = (f: RelayFixture, repairer = recordingRepairer()) =>
    new OrdersAudit(
      f.doc,
      {
        ordersTableName: f.tables.orders,
        outboxTableName: f.tables.outbox,
        readModelTableName: f.tables.readModel,
        pendingShards: 4,
        retentionSeconds: 7 * 86_400,
      },
      repairer,
    );

  it('hands the latest event to the projector alone for a read model knocked behind; the bus sees nothing', async () => {
    fixture = await startRelayFixture();
    const placed = newOrder();
    const confirmed = applyCommand(placed.order, { type: 'confirm' });
    const repository = testRepository(fixture.doc, fixture.tables);
    await repository.commit(placed);
    await repository.commit(confirmed);
    await new DynamoReadModel(fixture.doc, fixture.tables.readModel).apply(placed.order, 1);
    await sweeperOf(fixture).sweep({ graceSeconds: 0, maxItems: 10 });
    fixture.bus.reset();
    const repairer = recordingRepairer();

    const report = await auditOf(fixture, repairer).run(auditRun(0));

    expect(report).toMatchObject({ changedOrders: 1, readModelBehind: 1, readModelRepaired: 1, missingEvents: 0 });
    expect(repairer.repaired.map((item) => JSON.parse(item.detail) as unknown)).toEqual([JSON.parse(JSON.stringify(confirmed.event.detail))]);
    expect(fixture.bus.accepted).toEqual([]);
  });

  it('does not send again an event that is still pending: the relay or the sweep will', async () => {
    fixture = await startRelayFixture();
    await commit(fixture, 1);

    const repairer = recordingRepairer();
    const report = await auditOf(fixture, repairer).run(auditRun(0));

    expect(report).toMatchObject({ readModelBehind: 1, readModelRepaired: 0 });
    expect(repairer.repaired).toEqual([]);
  });

  it('leaves a read model alone while it is within the grace period', async () => {
    fixture = await startRelayFixture();
    await commit(fixture, 1);

    const report = await auditOf(fixture).run(auditRun(300));

    expect(report).toMatchObject({ changedOrders: 1, readModelBehind: 0 });
    expect(fixture.bus.accepted).toEqual([]);
  });

  it('restores a missing outbox event of the current version, with the original event id', async () => {
    fixture = await startRelayFixture();
    const [change] = await commit(fixture, 2);
    const key = { aggregateId: change?.order.id, version: 1 };
    await fixture.doc.send(new DeleteCommand({ TableName: fixture.tables.outbox, Key: key }));

    const report = await auditOf(fixture).run(auditRun(300));

    expect(report).toMatchObject({ changedOrders: 2, missingEvents: 1, missingEventsRepaired: 1 });
    const { Item } = await fixture.doc.send(new GetCommand({ TableName: fixture.tables.outbox, Key: key, ConsistentRead: true }));
    expect(Item).toMatchObject({ status: 'PENDING', eventId: change?.event.detail.eventId, detailType: 'OrderPlaced' });
    expect(JSON.parse(Item?.detail as string)).toEqual(JSON.parse(JSON.stringify(change?.event.detail)));
  });

  it('gives a published item its missing TTL and takes one away from a pending item', async () => {
    fixture = await startRelayFixture();
    const [published, pending] = await commit(fixture, 2);
    const keyOf = (change?: OrderChange) => ({ aggregateId: change?.order.id, version: 1 });
    await fixture.doc.send(
      new UpdateCommand({
        TableName: fixture.tables.outbox,
        Key: keyOf(published),
        UpdateExpression: 'SET #status = :published, publishedAt = :at REMOVE pendingShard, pendingSince',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':published': 'PUBLISHED', ':at': '2026-11-25T10:00:00.000Z' },
      }),
    );
    await fixture.doc.send(
      new UpdateCommand({ TableName: fixture.tables.outbox, Key: keyOf(pending), UpdateExpression: 'SET expiresAt = :soon', ExpressionAttributeValues: { ':soon': 1_900_000_000 } }),
    );

    const report = await auditOf(fixture).run(auditRun(300));

    expect(report.ttlRepaired).toBe(2);
    const items = await scanAll(fixture.doc, fixture.tables.outbox);
    expect(items.find((i) => i.aggregateId === published?.order.id)?.expiresAt).toBe(Math.floor(Date.parse('2026-11-25T10:00:00.000Z') / 1000) + 7 * 86_400);
    expect(items.find((i) => i.aggregateId === pending?.order.id)?.expiresAt).toBeUndefined();
  });

  it('reads in proportion to the changed orders only', async () => {
    fixture = await startRelayFixture();
    await commit(fixture, 5);
    // An order changed long ago: outside the window, never read.
    const old = newOrder();
    await fixture.doc.send(
      new PutCommand({
        TableName: fixture.tables.orders,
        Item: { ...old.order, updatedAt: '2026-01-01T00:00:00.000Z', changeBucket: '2026-01-01#0' },
      }),
    );

    const report = await auditOf(fixture).run(auditRun(300));

    expect(report.changedOrders).toBe(5);
    expect(report.itemsRead).toBe(10);
  });
});
