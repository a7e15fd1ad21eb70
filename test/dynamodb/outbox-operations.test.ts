import { afterEach, describe, expect, it } from 'vitest';
import { type OrderChange, applyCommand, placeOrder } from '../../lambdas/domain/order';
import { InvalidCursorError, OutboxOperations } from '../../lambdas/outbox/operations';
import { ParkedRetry } from '../../lambdas/outbox/parked-retry';
import { outboxOf, testRepository } from '../support/dynamodb';
import { type RelayFixture, refuseAggregates as refuse, startRelayFixture } from '../support/relay';

/** The operator's requests on a real outbox table (DynamoDB Local) and the local bus over HTTP. */
let fixture: RelayFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const operationsOf = (f: RelayFixture): OutboxOperations =>
  new OutboxOperations(f.doc, f.publisher, new ParkedRetry(f.publisher, f.parker), { tableName: f.tables.outbox, retentionSeconds: 604_800 });

const place = (at?: Date): OrderChange =>
  placeOrder({ customerId: 'c-ops', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] }, at === undefined ? undefined : { now: () => at });

const commit = async (f: RelayFixture, changes: readonly OrderChange[]): Promise<void> => {
  const repository = testRepository(f.doc, f.tables);
  for (const change of changes) await repository.commit(change);
};


const acceptedOf = (f: RelayFixture, aggregateId: string) =>
  f.bus.accepted.filter((a) => a.event.detail.aggregateId === aggregateId).map((a) => ({ eventId: a.event.detail.eventId, version: a.event.detail.version, detail: a.event.detail }));

describe('outbox operations: status', () => {
  it('counts pending, published and parked from the indexes and the item count, with the oldest ages', async () => {
    fixture = await startRelayFixture();
    const operations = operationsOf(fixture);
    expect(await operations.status()).toEqual({ pending: 0, published: 0, publishedApproximate: true, parked: 0, oldestPendingAgeMs: 0, oldestParkedAgeMs: 0 });

    const orders = [place(), place(), place()];
    await commit(fixture, orders);
    const before = await operations.status();
    expect(before).toMatchObject({ pending: 3, published: 0, parked: 0 });
    expect(before.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);

    refuse(fixture, [orders[0]?.order.id ?? '']);
    await fixture.relayPoller().drain();
    const after = await operations.status();
    // The parked order's hold record is neither an event nor counted as published.
    expect(after).toMatchObject({ pending: 0, published: 2, parked: 1, oldestPendingAgeMs: 0 });
    expect(after.oldestParkedAgeMs).toBeGreaterThanOrEqual(0);
  });
});

describe('outbox operations: parked and retry', () => {
  it('lists parked events with their error, and retries one order in version order, lifting its hold', async () => {
    fixture = await startRelayFixture();
    const operations = operationsOf(fixture);
    const poison = place();
    const other = place();
    refuse(fixture, [poison.order.id, other.order.id]);
    await commit(fixture, [poison, applyCommand(poison.order, { type: 'confirm' }), other]);
    await fixture.relayPoller().drain();

    const listed = await operations.parked(100);
    expect(listed.cursor).toBeUndefined();
    expect(listed.items.map((item) => [item.aggregateId, item.version, item.errorCode]).sort()).toEqual(
      [
        [poison.order.id, 1, 'InvalidArgument'],
        [poison.order.id, 2, expect.any(String)],
        [other.order.id, 1, 'InvalidArgument'],
      ].sort(),
    );
    expect(listed.items.every((item) => item.eventId !== undefined && item.parkedAt.endsWith('Z'))).toBe(true);
    const firstPage = await operations.parked(1);
    expect(firstPage.items).toHaveLength(1);
    expect(firstPage.cursor).toBeDefined();
    const secondPage = await operations.parked(1, firstPage.cursor);
    expect(secondPage.items[0]).not.toEqual(firstPage.items[0]);

    fixture.bus.setFaults({ entryFault: () => undefined });
    const report = await operations.retryParked({ aggregateId: poison.order.id, maxAggregates: 10, deadline: Date.now() + 60_000 });
    expect(report).toMatchObject({ aggregates: 1, republished: 2, stillParked: 0, released: 1, failed: [] });
    expect(acceptedOf(fixture, poison.order.id).map((e) => e.version)).toEqual([1, 2]);
    expect((await outboxOf(fixture.doc, fixture.tables.outbox, poison.order.id)).map((item) => item.status)).toEqual(['PUBLISHED', 'PUBLISHED']);
    // The other order stays parked: it was not asked for.
    expect((await operations.parked(100)).items.map((item) => item.aggregateId)).toEqual([other.order.id]);
  });

  it('reports an event refused again as a failure and leaves it parked', async () => {
    fixture = await startRelayFixture();
    const operations = operationsOf(fixture);
    const poison = place();
    refuse(fixture, [poison.order.id]);
    await commit(fixture, [poison]);
    await fixture.relayPoller().drain();
    const report = await operations.retryParked({ maxAggregates: 10, deadline: Date.now() + 60_000 });
    expect(report).toMatchObject({ aggregates: 1, republished: 0, stillParked: 1, released: 0 });
    expect(report.failed).toEqual([{ aggregateId: poison.order.id, version: 1, errorCode: 'InvalidArgument', errorMessage: 'Refused for good (test).' }]);
    expect((await operations.status()).parked).toBe(1);
  });
});

describe('outbox operations: replay', () => {
  it("replays an order's published events with the same eventIds and details, leaving pending and parked ones alone", async () => {
    fixture = await startRelayFixture();
    const operations = operationsOf(fixture);
    const order = place();
    const confirmed = applyCommand(order.order, { type: 'confirm' });
    await commit(fixture, [order, confirmed]);
    await fixture.relayPoller().drain();
    const first = acceptedOf(fixture, order.order.id);
    expect(first).toHaveLength(2);
    await commit(fixture, [applyCommand(confirmed.order, { type: 'ship' })]);

    const report = await operations.replayAggregate(order.order.id);

    expect(report).toMatchObject({ found: 3, replayed: 2, skippedPending: 1, skippedParked: 0, failed: [] });
    expect(report.replayedEvents.map((e) => [e.version, e.eventId])).toEqual(first.map((e) => [e.version, e.eventId]));
    const all = acceptedOf(fixture, order.order.id);
    expect(all.slice(2)).toEqual(first);
  });

  it('finds nothing for an unknown order', async () => {
    fixture = await startRelayFixture();
    expect(await operationsOf(fixture).replayAggregate('no-such-order')).toMatchObject({ found: 0, replayed: 0 });
  });

  it('replays the events that occurred in a window from the occurred index, resuming from its cursor', async () => {
    fixture = await startRelayFixture();
    const now = Date.now();
    const inside = [place(new Date(now - 3_600_000)), place(new Date(now - 1_800_000))];
    const outside = place(new Date(now - 3 * 86_400_000));
    await commit(fixture, [...inside, outside]);
    await fixture.relayPoller().drain();
    const operations = operationsOf(fixture);
    const since = new Date(now - 2 * 3_600_000);
    const until = new Date(now);

    // A spent deadline: the first call reads nothing and hands back where to start.
    const stopped = await operations.replayWindow({ since, until, deadline: 0 });
    expect(stopped).toMatchObject({ replayed: 0, progress: { done: 0 } });
    expect(stopped.cursor).toBeDefined();
    const total = stopped.progress?.total ?? 0;
    expect(total % 100).toBe(0);

    const done = await operations.replayWindow({ since, until, deadline: Date.now() + 60_000, ...(stopped.cursor === undefined ? {} : { cursor: stopped.cursor }) });
    expect(done).toMatchObject({ found: 2, replayed: 2, failed: [], progress: { done: total, total } });
    expect(done.cursor).toBeUndefined();
    expect(done.replayedEvents.map((e) => e.aggregateId).sort()).toEqual(inside.map((c) => c.order.id).sort());
    expect(acceptedOf(fixture, outside.order.id)).toHaveLength(1);
    for (const change of inside) {
      const events = acceptedOf(fixture, change.order.id);
      expect(events).toHaveLength(2);
      expect(events[1]).toEqual(events[0]);
    }
  });

  it('refuses a cursor it did not hand out, and replays nothing', async () => {
    fixture = await startRelayFixture();
    await commit(fixture, [place()]);
    await fixture.relayPoller().drain();
    const since = new Date(Date.now() - 86_400_000);
    await expect(operationsOf(fixture).replayWindow({ since, until: new Date(), deadline: Date.now() + 1000, cursor: 'bm90IGpzb24' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(operationsOf(fixture).replayWindow({ since: new Date(0), until: new Date(), deadline: Date.now() + 1000 })).rejects.toThrow(/at most 93 days/);
    const until = new Date();
    const stopped = await operationsOf(fixture).replayWindow({ since, until, deadline: 0 });
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = JSON.parse(Buffer.from(stopped.cursor ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    for (const cursor of [
      encode({}),
      encode({ ...forged, partition: 1e9 }),
      encode({ ...forged, partition: '0' }),
      encode({ ...forged, partition: -1 }),
      encode({ ...forged, window: 'another/window' }),
      encode({ ...forged, startKey: { aggregateId: 'o', version: 1, occurredKey: 'not-this-partition', occurredAt: since.toISOString() } }),
    ]) {
      await expect(operationsOf(fixture).replayWindow({ since, until, deadline: Date.now() + 1000, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    }
    expect(fixture.bus.accepted).toHaveLength(1);
  });
});
