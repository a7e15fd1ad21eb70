import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { applyCommand, placeOrder, type OrderChange } from '../../lambdas/domain/order';
import type { OutboxItem } from '../../lambdas/outbox/item';
import { ParkedRetry } from '../../lambdas/outbox/parked-retry';
import { OutboxParker } from '../../lambdas/outbox/parker';
import { OutboxSweeper } from '../../lambdas/outbox/reconciler';
import { outboxOf, testRepository } from '../support/dynamodb';
import { outboxItem } from '../support/eventbridge';
import { type RelayFixture, refuseAggregates as refuse, startRelayFixture } from '../support/relay';

/** Parking on DynamoDB Local: poison events never block anything, and keep their aggregate's order. */
let fixture: RelayFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});


const accepted = (f: RelayFixture) =>
  f.bus.accepted.map((a) => `${a.event.detail.aggregateId as string}#${a.event.detail.version as number}`);

const sweeper = (f: RelayFixture) => new OutboxSweeper(f.doc, f.tables.outbox, f.dispatcher);
const retry = (f: RelayFixture) => new ParkedRetry(f.publisher, f.parker);

const place = (customerId = 'c-park'): OrderChange =>
  placeOrder({ customerId, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] });

/** Writes changes as the write path does and relays their stream records once, as Lambda would. */
const commitAndRelay = async (f: RelayFixture, changes: readonly OrderChange[]) => {
  const before = new Set((await f.captureRecords()).map((r) => r.dynamodb?.SequenceNumber));
  const repository = testRepository(f.doc, f.tables);
  for (const change of changes) await repository.commit(change);
  const records = (await f.captureRecords()).filter((r) => r.eventName === 'INSERT' && !before.has(r.dynamodb?.SequenceNumber));
  return f.relay.relay(records);
};

const statusOf = async (f: RelayFixture, aggregateId: string) =>
  (await outboxOf(f.doc, f.tables.outbox, aggregateId)).map((item) => [item.version, item.status, item.parkedErrorCode]);

describe('parking in the relay', () => {
  it('parks a refused event with its hold, publishes the other orders of the batch, and answers no batch failure', async () => {
    fixture = await startRelayFixture();
    const poison = place();
    const healthy = [place(), place()];
    refuse(fixture, [poison.order.id]);

    const result = await commitAndRelay(fixture, [healthy[0] as OrderChange, poison, healthy[1] as OrderChange]);

    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.report).toMatchObject({ published: 2, parked: 1, retryable: 0 });
    expect(accepted(fixture).sort()).toEqual(healthy.map((c) => `${c.order.id}#1`).sort());
    expect(await statusOf(fixture, poison.order.id)).toEqual([
      [0, 'HOLD', undefined],
      [1, 'PARKED', 'InvalidArgument'],
    ]);
    const [parked] = (await outboxOf(fixture.doc, fixture.tables.outbox, poison.order.id)).slice(1);
    expect(parked).toMatchObject({ parkedKey: 'PARKED', publishAttempts: 1, parkedErrorMessage: 'Refused for good (test).' });
    expect(parked?.expiresAt).toBeUndefined();
    expect(parked?.pendingSince).toBeUndefined();
    expect(await fixture.parker.stats()).toMatchObject({ count: 1 });
  });

  it('holds a later version behind a parked one, even when it arrives in a later batch and the bus would take it', async () => {
    fixture = await startRelayFixture();
    const v1 = place();
    refuse(fixture, [v1.order.id]);
    await commitAndRelay(fixture, [v1]);
    fixture.bus.setFaults({ entryFault: () => undefined });

    const result = await commitAndRelay(fixture, [applyCommand(v1.order, { type: 'confirm' })]);

    expect(result.report).toMatchObject({ published: 0, parked: 1, calls: 0 });
    expect(accepted(fixture)).toEqual([]);
    expect(await statusOf(fixture, v1.order.id)).toEqual([
      [0, 'HOLD', undefined],
      [1, 'PARKED', 'InvalidArgument'],
      [2, 'PARKED', 'HeldBehindParked'],
    ]);
  });

  it('parks a malformed pending item instead of failing the batch, and skips a malformed item that is not pending', async () => {
    fixture = await startRelayFixture();
    const broken = { aggregateId: 'order-broken', version: 1, status: 'PENDING', detail: 'x' };
    const brokenPublished = { aggregateId: 'order-old', version: 1, status: 'PUBLISHED' };
    const { sequenceNumber: _s, ...good } = outboxItem('order-good', 1);
    for (const Item of [broken, brokenPublished, good]) await fixture.doc.send(new PutCommand({ TableName: fixture.tables.outbox, Item }));

    const result = await fixture.relay.relay(await fixture.captureRecords());

    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.report).toMatchObject({ published: 1, parked: 1, skipped: 1 });
    expect(await statusOf(fixture, 'order-broken')).toEqual([
      [0, 'HOLD', undefined],
      [1, 'PARKED', 'MalformedOutboxItem'],
    ]);
  });
});

describe('parking in the sweep', () => {
  it('publishes the healthy item behind 3 poison items in its first run with maxItems 3', async () => {
    fixture = await startRelayFixture();
    const poison = [place(), place(), place()];
    const healthy = place();
    const repository = testRepository(fixture.doc, fixture.tables);
    for (const change of [...poison, healthy]) await repository.commit(change);
    refuse(fixture, poison.map((c) => c.order.id));

    const report = await sweeper(fixture).sweep({ graceSeconds: 0, maxItems: 3 });

    expect(report).toMatchObject({ republished: 1, parked: 3, leftForNextRun: false });
    expect(accepted(fixture)).toEqual([`${healthy.order.id}#1`]);
    expect((await fixture.parker.stats()).count).toBe(3);
  });

  it('parks the pending versions of an aggregate that has a parked version, without publishing them', async () => {
    fixture = await startRelayFixture();
    const v1 = place();
    refuse(fixture, [v1.order.id]);
    await commitAndRelay(fixture, [v1]);
    fixture.bus.setFaults({ entryFault: () => undefined });
    await testRepository(fixture.doc, fixture.tables).commit(applyCommand(v1.order, { type: 'confirm' }));

    const report = await sweeper(fixture).sweep({ graceSeconds: 0, maxItems: 10 });

    expect(report).toMatchObject({ republished: 0, parked: 1 });
    expect(accepted(fixture)).toEqual([]);
  });

  it('finds pending items in shards above the configured count: lowering pendingIndexShards strands nothing', async () => {
    fixture = await startRelayFixture();
    // Written while the outbox had 16 shards; the writers now use 4.
    for (const shard of ['5', '9', '15']) {
      const { sequenceNumber: _s, ...item } = outboxItem(`order-shard-${shard}`, 1);
      await fixture.doc.send(new PutCommand({ TableName: fixture.tables.outbox, Item: { ...item, pendingShard: shard, pendingSince: '2026-11-25T10:00:00.000Z' } }));
    }

    const report = await sweeper(fixture).sweep({ graceSeconds: 0, maxItems: 10 });

    expect(report.republished).toBe(3);
    expect(accepted(fixture).sort()).toEqual(['order-shard-15#1', 'order-shard-5#1', 'order-shard-9#1']);
  });
});

describe('retrying parked events', () => {
  it('publishes v1 before v2, marks both published with a TTL, and lifts the hold so v3 flows through the relay', async () => {
    fixture = await startRelayFixture();
    const v1 = place();
    const v2 = applyCommand(v1.order, { type: 'confirm' });
    refuse(fixture, [v1.order.id]);
    await commitAndRelay(fixture, [v1]);
    await commitAndRelay(fixture, [v2]);
    fixture.bus.setFaults({ entryFault: () => undefined });

    const report = await retry(fixture).retry({ maxAggregates: 10 });
    const v3 = await commitAndRelay(fixture, [applyCommand(v2.order, { type: 'ship', trackingNumber: 'T-1' })]);

    expect(report).toMatchObject({ aggregates: 1, republished: 2, stillParked: 0, released: 1 });
    expect(v3.report).toMatchObject({ published: 1, parked: 0 });
    expect(accepted(fixture)).toEqual([`${v1.order.id}#1`, `${v1.order.id}#2`, `${v1.order.id}#3`]);
    const items = await outboxOf(fixture.doc, fixture.tables.outbox, v1.order.id);
    expect(items.map((item) => [item.version, item.status])).toEqual([
      [1, 'PUBLISHED'],
      [2, 'PUBLISHED'],
      [3, 'PUBLISHED'],
    ]);
    expect(items.every((item) => typeof item.expiresAt === 'number' && item.parkedKey === undefined)).toBe(true);
    expect(await fixture.parker.stats()).toEqual({ count: 0, oldestParkedAgeMs: 0 });
  });

  it('keeps an aggregate parked, with the new reason, when the bus refuses it again, and leaves other aggregates alone', async () => {
    fixture = await startRelayFixture();
    const stuck = place();
    const fixed = place();
    refuse(fixture, [stuck.order.id, fixed.order.id]);
    await commitAndRelay(fixture, [stuck, fixed]);
    refuse(fixture, [stuck.order.id]);

    const report = await retry(fixture).retry({ maxAggregates: 10 });

    expect(report).toMatchObject({ aggregates: 2, republished: 1, stillParked: 1, released: 1 });
    expect(accepted(fixture)).toEqual([`${fixed.order.id}#1`]);
    const [hold, item] = await outboxOf(fixture.doc, fixture.tables.outbox, stuck.order.id);
    expect(hold).toMatchObject({ status: 'HOLD', parkedCount: 1 });
    expect(item).toMatchObject({ status: 'PARKED', parkedErrorCode: 'InvalidArgument', publishAttempts: 2 });
  });

  it('retries one order only when asked to', async () => {
    fixture = await startRelayFixture();
    const [a, b] = [place(), place()];
    refuse(fixture, [a.order.id, b.order.id]);
    await commitAndRelay(fixture, [a, b]);
    fixture.bus.setFaults({ entryFault: () => undefined });

    const report = await retry(fixture).retry({ maxAggregates: 10, aggregateId: b.order.id });

    expect(report).toMatchObject({ aggregates: 1, republished: 1, released: 1 });
    expect(accepted(fixture)).toEqual([`${b.order.id}#1`]);
    expect((await fixture.parker.stats()).count).toBe(1);
  });

  it('does not lift the hold while a version parked during the retry is still parked', async () => {
    fixture = await startRelayFixture();
    const v1 = place();
    refuse(fixture, [v1.order.id]);
    await commitAndRelay(fixture, [v1]);
    fixture.bus.setFaults({ entryFault: () => undefined });
    // A version parked behind the hold after the retry read the parked versions: simulated by a
    // parker whose first read of the parked versions misses the newest.
    const v2 = applyCommand(v1.order, { type: 'confirm' });
    let reads = 0;
    const parker = Object.assign(Object.create(fixture.parker) as typeof fixture.parker, {
      parkedOf: async (aggregateId: string): Promise<{ ready: OutboxItem[]; waiting: number }> => {
        reads += 1;
        const items = await fixture?.parker.parkedOf(aggregateId);
        if (reads === 1) await commitAndRelay(fixture as RelayFixture, [v2]);
        return items ?? { ready: [], waiting: 0 };
      },
    });

    const report = await new ParkedRetry(fixture.publisher, parker).retry({ maxAggregates: 10 });

    expect(report).toMatchObject({ republished: 2, released: 1 });
    expect(accepted(fixture)).toEqual([`${v1.order.id}#1`, `${v1.order.id}#2`]);
    const { Item: hold } = await fixture.doc.send(new GetCommand({ TableName: fixture.tables.outbox, Key: { aggregateId: v1.order.id, version: 0 }, ConsistentRead: true }));
    expect(hold).toBeUndefined();
  });
});

describe('retrying parked versions around a version still pending', () => {
  it('sends only the parked versions below a pending one, counts the rest as still parked, and sends them once the sweep parks it', async () => {
    fixture = await startRelayFixture();
    const v1 = place();
    const v2 = applyCommand(v1.order, { type: 'confirm' });
    const v3 = applyCommand(v2.order, { type: 'ship' });
    refuse(fixture, [v1.order.id]);
    await commitAndRelay(fixture, [v1]);
    // v2's park failed (it stays pending; the stream moved on); v3 is parked behind the hold.
    await testRepository(fixture.doc, fixture.tables).commit(v2);
    await commitAndRelay(fixture, [v3]);
    expect(await statusOf(fixture, v1.order.id)).toEqual([
      [0, 'HOLD', undefined],
      [1, 'PARKED', 'InvalidArgument'],
      [2, 'PENDING', undefined],
      [3, 'PARKED', 'HeldBehindParked'],
    ]);
    const refusedAgain = await retry(fixture).retry({ maxAggregates: 10 });
    expect(refusedAgain).toMatchObject({ republished: 0, stillParked: 2, waitingBehindPending: 1, released: 0 });
    expect(refusedAgain.failures.map((f) => f.item.version)).toEqual([1]);
    fixture.bus.setFaults({ entryFault: () => undefined });

    const first = await retry(fixture).retry({ maxAggregates: 10 });

    expect(first).toMatchObject({ republished: 1, stillParked: 1, waitingBehindPending: 1, released: 0, failures: [] });
    expect(accepted(fixture)).toEqual([`${v1.order.id}#1`]);

    await sweeper(fixture).sweep({ graceSeconds: 0, maxItems: 10 });
    expect((await statusOf(fixture, v1.order.id))[2]).toEqual([2, 'PARKED', 'HeldBehindParked']);
    const second = await retry(fixture).retry({ maxAggregates: 10 });

    expect(second).toMatchObject({ republished: 2, stillParked: 0, waitingBehindPending: 0, released: 1 });
    expect(accepted(fixture)).toEqual([`${v1.order.id}#1`, `${v1.order.id}#2`, `${v1.order.id}#3`]);
  });
});

describe('the parked index', () => {
  it('holds parked items only, oldest first', async () => {
    fixture = await startRelayFixture();
    const [first, second, ok] = [place(), place(), place()];
    refuse(fixture, [first.order.id, second.order.id]);
    await commitAndRelay(fixture, [first]);
    await commitAndRelay(fixture, [second, ok]);

    const page = await fixture.doc.send(
      new QueryCommand({
        TableName: fixture.tables.outbox,
        IndexName: 'parked',
        KeyConditionExpression: 'parkedKey = :p',
        ExpressionAttributeValues: { ':p': 'PARKED' },
      }),
    );

    expect(page.Items?.map((item) => item.aggregateId)).toEqual([first.order.id, second.order.id]);
  });
});

describe('parking when DynamoDB fails half-way', () => {
  it('leaves the later versions of an aggregate pending when an earlier version could not be parked', async () => {
    fixture = await startRelayFixture();
    const v1 = place();
    const v2 = applyCommand(v1.order, { type: 'confirm' });
    const repository = testRepository(fixture.doc, fixture.tables);
    await repository.commit(v1);
    await repository.commit(v2);
    // A throttled transaction cannot be had from DynamoDB Local on demand: the first one fails here.
    const doc = fixture.doc;
    let transactions = 0;
    const flaky = Object.assign(Object.create(doc) as typeof doc, {
      send: async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'TransactWriteCommand' && ++transactions === 1) {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        }
        return doc.send(command as never);
      },
    });
    const parker = new OutboxParker(flaky, { tableName: fixture.tables.outbox });
    const request = (version: number, errorCode: string) => ({ aggregateId: v1.order.id, version, errorCode, errorMessage: 'x', attempts: 1 });

    const outcome = await parker.park([request(1, 'InvalidArgument'), request(2, 'HeldBehindParked')]);

    expect(outcome.parked).toEqual([]);
    expect(outcome.failed.map((failed) => failed.request.version)).toEqual([1, 2]);
    expect(await statusOf(fixture, v1.order.id)).toEqual([
      [1, 'PENDING', undefined],
      [2, 'PENDING', undefined],
    ]);
  });

  it('publishes instead of parking a version behind a hold that a retry lifted meanwhile', async () => {
    fixture = await startRelayFixture();
    const v1 = place();
    await testRepository(fixture.doc, fixture.tables).commit(v1);

    const outcome = await fixture.parker.park([{ aggregateId: v1.order.id, version: 1, errorCode: 'HeldBehindParked', errorMessage: 'x', attempts: 0 }]);

    expect(outcome.failed.map((failed) => (failed.error as Error).name)).toEqual(['HoldLiftedError']);
    expect(await statusOf(fixture, v1.order.id)).toEqual([[1, 'PENDING', undefined]]);
  });

  it('does not count an emptied hold (parkedCount 0) as holding its aggregate', async () => {
    fixture = await startRelayFixture();
    await fixture.doc.send(new PutCommand({ TableName: fixture.tables.outbox, Item: { aggregateId: 'order-emptied', version: 0, status: 'HOLD', parkedCount: 0 } }));
    await fixture.doc.send(new PutCommand({ TableName: fixture.tables.outbox, Item: { aggregateId: 'order-held', version: 0, status: 'HOLD', parkedCount: 2 } }));

    const held = await fixture.parker.heldAggregates(['order-emptied', 'order-held', 'order-free']);

    expect([...held]).toEqual(['order-held']);
  });
});
