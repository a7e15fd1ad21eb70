import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { type OrderChange, applyCommand, placeOrder } from '../../lambdas/domain/order';
import { OUTBOX_PENDING_INDEX } from '../../lambdas/outbox/item';
import { OutboxRelay } from '../../lambdas/outbox/relay';
import { OutboxStatusReader } from '../../lambdas/outbox/status';
import { startDynamoDbLocal } from '../../local/dynamodb/engine';
import { outboxOf, scanAll, testRepository } from '../support/dynamodb';
import { outboxItem } from '../support/eventbridge';
import { type RelayFixture, startRelayFixture } from '../support/relay';

/**
 * The relay end to end on this machine: orders committed to DynamoDB Local, the outbox stream
 * read by the local poller with the mapping settings of the synthesized template, events
 * published to the local EventBridge endpoint over HTTP, marks written back.
 */
let fixture: RelayFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const place = (customerId = 'c-1'): OrderChange =>
  placeOrder({ customerId, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 100 }] });

const commitOrders = async (f: RelayFixture, count: number): Promise<OrderChange[]> => {
  const repository = testRepository(f.doc, f.tables);
  const changes = Array.from({ length: count }, () => place());
  for (const change of changes) await repository.commit(change);
  return changes;
};

const pendingInIndex = async (f: RelayFixture): Promise<number> => {
  let count = 0;
  for (let shard = 0; shard < 4; shard++) {
    const page = await f.doc.send(
      new QueryCommand({
        TableName: f.tables.outbox,
        IndexName: OUTBOX_PENDING_INDEX.indexName,
        KeyConditionExpression: 'pendingShard = :shard',
        ExpressionAttributeValues: { ':shard': String(shard) },
      }),
    );
    count += page.Count ?? 0;
  }
  return count;
};

describe('the outbox relay on DynamoDB Local', () => {
  it('publishes every committed event once, as EventBridge delivers it, and marks each item', async () => {
    fixture = await startRelayFixture();
    const changes = await commitOrders(fixture, 25);
    const confirmed = applyCommand(changes[0]?.order ?? place().order, { type: 'confirm' });
    await testRepository(fixture.doc, fixture.tables).commit(confirmed);
    const startedAt = Date.now();

    await fixture.relayPoller().drain();

    const events = fixture.bus.accepted.map((accepted) => accepted.event);
    expect(events).toHaveLength(26);
    expect(new Set(events.map((event) => event.detail.eventId)).size).toBe(26);
    const first = events.find((event) => event.detail.eventId === confirmed.event.detail.eventId);
    expect(first).toMatchObject({
      source: 'orders',
      'detail-type': 'OrderConfirmed',
      time: `${confirmed.event.detail.occurredAt.slice(0, 19)}Z`,
      detail: JSON.parse(JSON.stringify(confirmed.event.detail)),
    });
    const items = await scanAll(fixture.doc, fixture.tables.outbox);
    expect(items.every((item) => item.status === 'PUBLISHED')).toBe(true);
    for (const item of items) {
      expect(Date.parse(item.publishedAt as string)).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(item.expiresAt).toBeCloseTo(Math.floor(Date.parse(item.publishedAt as string) / 1000) + 7 * 86_400, -1);
      expect(item.pendingShard).toBeUndefined();
    }
    expect(await pendingInIndex(fixture)).toBe(0);
  });

  it('invokes the relay only for INSERTs, as the template filter says: marks cost no invocation', async () => {
    fixture = await startRelayFixture();
    await commitOrders(fixture, 5);
    const poller = fixture.relayPoller();

    await poller.drain();
    await poller.drain();

    expect(fixture.mapping.filters).toEqual([{ eventName: ['INSERT'] }]);
    expect(poller.stats.filteredOut).toBe(5);
    expect(fixture.results.flatMap((result) => result.report.skipped)).toEqual([0]);
    expect(fixture.bus.accepted).toHaveLength(5);
  });

  it('publishes and marks every item when 30% of entries fail transiently', async () => {
    fixture = await startRelayFixture({ bus: { failureRate: 0.3 }, publisher: { maxAttempts: 12 } });
    const changes = await commitOrders(fixture, 120);

    await fixture.relayPoller().drain();

    const published = new Set(fixture.bus.accepted.map((accepted) => accepted.event.detail.eventId));
    expect(changes.every((change) => published.has(change.event.detail.eventId))).toBe(true);
    expect(fixture.results.reduce((sum, result) => sum + result.report.retriedEntries, 0)).toBeGreaterThan(0);
    expect(fixture.bus.calls.some((call) => call.failedEntryCount > 0)).toBe(true);
    const items = await scanAll(fixture.doc, fixture.tables.outbox);
    expect(items.filter((item) => item.status === 'PUBLISHED')).toHaveLength(120);
  });

  it('parks a record EventBridge refuses for good with the later versions of its aggregate, publishes the rest, and fails nothing', async () => {
    fixture = await startRelayFixture();
    const huge = outboxItem('order-a', 1, 300 * 1024);
    const later = outboxItem('order-a', 2);
    const other = outboxItem('order-b', 1);
    for (const item of [huge, later, other]) {
      const { sequenceNumber: _seq, ...stored } = item;
      await fixture.doc.send(new PutCommand({ TableName: fixture.tables.outbox, Item: { ...stored, pendingShard: '0', pendingSince: '2026-11-25T10:00:00.000Z' } }));
    }
    const records = await fixture.captureRecords();

    const result = await fixture.relay.relay(records);

    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.failures).toEqual([expect.objectContaining({ errorCode: 'EntryTooLarge', permanent: true })]);
    expect(result.report).toMatchObject({ published: 1, parked: 2, retryable: 0, failedPermanently: 1 });
    expect(fixture.bus.accepted.map((accepted) => accepted.event.detail.aggregateId)).toEqual(['order-b']);
    const orderA = await outboxOf(fixture.doc, fixture.tables.outbox, 'order-a');
    expect(orderA.map((item) => [item.version, item.status, item.parkedErrorCode])).toEqual([
      [0, 'HOLD', undefined],
      [1, 'PARKED', 'EntryTooLarge'],
      [2, 'PARKED', 'HeldBehindParked'],
    ]);
    expect(orderA.every((item) => item.expiresAt === undefined && item.pendingShard === undefined)).toBe(true);
  });

  it('publishes nothing and fails nothing for MODIFY, REMOVE and TTL-deletion records', async () => {
    // A fresh engine: DynamoDB Local's TTL sweep slows down as tables accumulate in one instance.
    const engine = await startDynamoDbLocal();
    onTestFinished(() => engine.stop());
    fixture = await startRelayFixture({ dynamodbEndpoint: engine.endpoint });
    const [expiring, removed] = await commitOrders(fixture, 2);
    // DynamoDB Local's TTL sweep only reaches items that are in every one of the table's GSIs
    // (a bug of the engine: AWS deletes every expired item), so the expiring item keeps its
    // pending-index keys and is given parked-index keys too.
    await fixture.doc.send(
      new UpdateCommand({
        TableName: fixture.tables.outbox,
        Key: { aggregateId: expiring?.order.id, version: 1 },
        UpdateExpression: 'SET expiresAt = :past, parkedKey = :parked, parkedAt = :at',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60, ':parked': 'PARKED', ':at': '2026-11-25T10:00:00.000Z' },
      }),
    );
    await fixture.doc.send(
      new DeleteCommand({ TableName: fixture.tables.outbox, Key: { aggregateId: removed?.order.id, version: 1 } }),
    );
    await waitFor(async () => (await scanAll(fixture?.doc as never, fixture?.tables.outbox ?? '')).length === 0, 60_000);
    const records = (await fixture.captureRecords()).filter((record) => record.eventName !== 'INSERT');

    const result = await fixture.relay.relay(records);

    // DynamoDB Local writes the TTL deletion under a name the SDK does not know (AWS: REMOVE).
    expect(records.map((record) => record.eventName as string).sort()).toEqual(['MODIFY', 'REMOVE', 'UNKNOWN_TO_SDK_VERSION']);
    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.report).toMatchObject({ skipped: 3, published: 0, calls: 0 });
    expect(fixture.bus.accepted).toEqual([]);
  });

  it('skips on redelivery what this environment already published; a new environment publishes the same eventIds again, leaving the first marks intact', async () => {
    fixture = await startRelayFixture();
    await commitOrders(fixture, 3);
    const records = (await fixture.captureRecords()).filter((record) => record.eventName === 'INSERT');
    await fixture.relay.relay(records);
    const firstMarks = await scanAll(fixture.doc, fixture.tables.outbox);
    await sleep(20);

    const retried = await fixture.relay.relay(records);
    const otherEnvironment = await new OutboxRelay(fixture.dispatcher).relay(records);

    expect(retried.report).toMatchObject({ alreadyPublished: 3, published: 0, calls: 0 });
    const ids = fixture.bus.accepted.map((accepted) => accepted.event.detail.eventId as string);
    expect(ids).toHaveLength(6);
    expect(ids.slice(3).sort()).toEqual(ids.slice(0, 3).sort());
    expect(otherEnvironment.report.mark).toEqual({ marked: 0, alreadyMarked: 3, failed: 0 });
    expect(await scanAll(fixture.doc, fixture.tables.outbox)).toEqual(firstMarks);
  });

  it('reads the status of records older than the sweep grace and does not send again what the sweep published', async () => {
    fixture = await startRelayFixture();
    const changes = await commitOrders(fixture, 3);
    const records = (await fixture.captureRecords()).filter((record) => record.eventName === 'INSERT');
    const swept = changes[0]?.event.detail.aggregateId ?? '';
    // The sweep got there first: on the bus and marked.
    await fixture.marker.markPublished([{ aggregateId: swept, version: 1 }], new Date());
    const reader = new OutboxStatusReader(fixture.doc, { tableName: fixture.tables.outbox });

    // Past the grace: read first, and what the sweep published is not sent again.
    const late = await new OutboxRelay(fixture.dispatcher, { statusReader: reader, statusCheckAfterMs: 60_000, now: () => Date.now() + 61_000 }).relay(records);
    const lateIds = fixture.bus.accepted.map((accepted) => accepted.event.detail.aggregateId as string);
    fixture.bus.reset();
    // Younger than the grace: the sweep cannot have taken them, so no read (and so no skip).
    const young = await new OutboxRelay(fixture.dispatcher, { statusReader: reader, statusCheckAfterMs: 60_000 }).relay(records);

    expect(late.report).toMatchObject({ statusChecked: 3, alreadyPublished: 1, alreadyParked: 0, missingFromOutbox: 0, published: 2 });
    expect(late.report.statusCheckError).toBeUndefined();
    expect(lateIds).not.toContain(swept);
    expect(young.report).toMatchObject({ statusChecked: 0, alreadyPublished: 0, published: 3 });
    expect(fixture.bus.accepted.map((accepted) => accepted.event.detail.aggregateId)).toContain(swept);
  });

  it('publishes an item missing from the table from its stream record, in version order, and counts it', async () => {
    fixture = await startRelayFixture();
    const [placed] = await commitOrders(fixture, 1);
    const orderId = placed?.order.id ?? '';
    await testRepository(fixture.doc, fixture.tables).commit(applyCommand(placed?.order ?? place().order, { type: 'confirm' }));
    const records = (await fixture.captureRecords()).filter((record) => record.eventName === 'INSERT');
    // Never published, then removed by hand: the stream image is the event's last copy.
    await fixture.doc.send(new DeleteCommand({ TableName: fixture.tables.outbox, Key: { aggregateId: orderId, version: 1 } }));
    const reader = new OutboxStatusReader(fixture.doc, { tableName: fixture.tables.outbox });

    const result = await new OutboxRelay(fixture.dispatcher, { statusReader: reader, statusCheckAfterMs: 0 }).relay(records);

    expect(result.report).toMatchObject({ statusChecked: 2, missingFromOutbox: 1, alreadyPublished: 0, published: 2 });
    expect(fixture.bus.accepted.map((accepted) => accepted.event.detail.version)).toEqual([1, 2]);
  });

  it('does not publish an item the status check finds parked, and parks the later version behind it', async () => {
    fixture = await startRelayFixture();
    const [placed] = await commitOrders(fixture, 1);
    const orderId = placed?.order.id ?? '';
    await testRepository(fixture.doc, fixture.tables).commit(applyCommand(placed?.order ?? place().order, { type: 'confirm' }));
    const records = (await fixture.captureRecords()).filter((record) => record.eventName === 'INSERT');
    // The sweep met v1 first and the bus refused it for good.
    await fixture.parker.park([{ aggregateId: orderId, version: 1, errorCode: 'InvalidArgument', errorMessage: 'refused', attempts: 1 }]);
    const reader = new OutboxStatusReader(fixture.doc, { tableName: fixture.tables.outbox });

    const result = await new OutboxRelay(fixture.dispatcher, { statusReader: reader, statusCheckAfterMs: 0 }).relay(records);

    expect(result.report).toMatchObject({ alreadyParked: 1, alreadyPublished: 0, parked: 1, published: 0 });
    expect(fixture.bus.accepted).toEqual([]);
    const items = await scanAll(fixture.doc, fixture.tables.outbox);
    expect(items.filter((item) => item.version !== 0).map((item) => [item.version, item.status])).toEqual([
      [1, 'PARKED'],
      [2, 'PARKED'],
    ]);
  });

  it('publishes anyway when the status check fails: a duplicate, never a loss', async () => {
    fixture = await startRelayFixture();
    await commitOrders(fixture, 2);
    const records = (await fixture.captureRecords()).filter((record) => record.eventName === 'INSERT');
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    const failing = { statusOf: async (): Promise<never> => Promise.reject(throttled) };

    const result = await new OutboxRelay(fixture.dispatcher, { statusReader: failing, statusCheckAfterMs: 0 }).relay(records);

    expect(result.report).toMatchObject({ statusChecked: 2, statusCheckError: 'ProvisionedThroughputExceededException: Rate exceeded', published: 2 });
    expect(result.response.batchItemFailures).toEqual([]);
    expect(fixture.bus.accepted).toHaveLength(2);
  });
});

const waitFor = async (condition: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition.');
    await sleep(250);
  }
};
