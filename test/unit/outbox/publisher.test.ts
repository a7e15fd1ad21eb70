import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entrySize, toEntry } from '../../../lambdas/outbox/entries';
import { ENTRY_TOO_LARGE, EventBridgePublisher, type EventBridgePublisherOptions } from '../../../lambdas/outbox/publisher';
import { type LocalEventBridge, seededRandom, startLocalEventBridge } from '../../../local/events/bus';
import { localEventBridgeClient, outboxItem } from '../../support/eventbridge';

/** The publisher against the local EventBridge endpoint, over real HTTP with the real SDK client. */
let bus: LocalEventBridge;

beforeAll(async () => {
  bus = await startLocalEventBridge({ maxRequestBytes: 256 * 1024, random: seededRandom(7) });
});

afterEach(() => {
  bus.setFaults({ failureRate: 0, failureCode: 'InternalFailure', entryFault: () => undefined });
  bus.reset();
});

afterAll(async () => {
  await bus.close();
});

const publisher = (options: Partial<EventBridgePublisherOptions> = {}) =>
  new EventBridgePublisher(localEventBridgeClient(bus.endpoint), {
    eventBusName: 'orders',
    baseDelayMs: 1,
    maxDelayMs: 5,
    ...options,
  });

const distinctOrders = (count: number, detailBytes = 200) =>
  Array.from({ length: count }, (_, i) => outboxItem(`order-${i}`, 1, detailBytes, String(i + 1)));

describe('EventBridgePublisher', () => {
  it.each([
    [1, 1],
    [10, 1],
    [11, 2],
    [250, 25],
  ])('publishes %i items with %i PutEvents calls', async (count, calls) => {
    const outcome = await publisher().publish(distinctOrders(count));

    expect(outcome.published).toHaveLength(count);
    expect(outcome.failed).toEqual([]);
    expect(outcome.calls).toBe(calls);
    expect(bus.calls.map((call) => call.status)).toEqual(Array(calls).fill(200));
    expect(new Set(bus.accepted.map((a) => a.event.detail.eventId)).size).toBe(count);
  });

  it('packs large entries by bytes, never sending a request over the limit', async () => {
    const outcome = await publisher().publish(distinctOrders(10, 100 * 1024));

    expect(outcome.published).toHaveLength(10);
    expect(outcome.calls).toBe(5);
    expect(Math.max(...bus.calls.map((call) => call.bytes))).toBeLessThanOrEqual(256 * 1024);
  });

  it('publishes the stored detail verbatim, on the configured bus, at occurredAt', async () => {
    const item = outboxItem('order-x', 1);

    await publisher().publish([item]);

    expect(bus.accepted).toEqual([
      {
        eventBusName: 'orders',
        event: expect.objectContaining({
          source: 'orders',
          'detail-type': 'OrderPlaced',
          time: '2026-11-25T10:00:00Z',
          detail: JSON.parse(item.detail),
        }),
      },
    ]);
  });

  it('retries only the failed entries of a 200 answer until every one is accepted', async () => {
    bus.setFaults({ failureRate: 0.3 });

    const outcome = await publisher({ maxAttempts: 10 }).publish(distinctOrders(100));

    expect(outcome.published).toHaveLength(100);
    expect(outcome.failed).toEqual([]);
    expect(outcome.retriedEntries).toBeGreaterThan(10);
    expect(bus.calls.some((call) => call.failedEntryCount > 0)).toBe(true);
    expect(new Set(bus.accepted.map((a) => a.event.detail.eventId)).size).toBe(100);
  });

  it('retries throttled entries as well', async () => {
    bus.setFaults({ failureRate: 0.5, failureCode: 'ThrottlingException' });

    const outcome = await publisher({ maxAttempts: 12 }).publish(distinctOrders(20));

    expect(outcome.published).toHaveLength(20);
  });

  it('gives up on an entry that keeps failing after the bounded attempts, and says it was transient', async () => {
    const stuck = outboxItem('order-stuck', 1);
    bus.setFaults({ entryFault: (entry) => (entry.Detail === stuck.detail ? { code: 'InternalFailure', message: 'down' } : undefined) });

    const outcome = await publisher({ maxAttempts: 3 }).publish([stuck, ...distinctOrders(3)]);

    expect(outcome.published).toHaveLength(3);
    expect(outcome.failed).toEqual([
      { item: stuck, errorCode: 'InternalFailure', errorMessage: 'down', permanent: false, attempts: 3 },
    ]);
    expect(outcome.retriedEntries).toBe(2);
  });

  it('does not retry a permanent entry error, and holds back later versions of that aggregate', async () => {
    const v1 = outboxItem('order-a', 1);
    const v2 = outboxItem('order-a', 2);
    const other = outboxItem('order-b', 1);
    bus.setFaults({ entryFault: (entry) => (entry.Detail === v1.detail ? { code: 'MalformedDetail', message: 'bad' } : undefined) });

    const outcome = await publisher().publish([v2, other, v1]);

    expect(outcome.failed).toEqual([{ item: v1, errorCode: 'MalformedDetail', errorMessage: 'bad', permanent: true, attempts: 1 }]);
    expect(outcome.blocked).toEqual([v2]);
    expect(outcome.published).toEqual([other]);
    expect(outcome.retriedEntries).toBe(0);
  });

  it('never sends an entry too large for any request, and reports it as permanent', async () => {
    const huge = outboxItem('order-huge', 1, 300 * 1024);
    const next = outboxItem('order-huge', 2);

    const outcome = await publisher().publish([huge, next, outboxItem('order-fine', 1)]);

    expect(outcome.failed).toEqual([expect.objectContaining({ item: huge, errorCode: ENTRY_TOO_LARGE, permanent: true })]);
    expect(outcome.blocked).toEqual([next]);
    expect(outcome.published.map((item) => item.aggregateId)).toEqual(['order-fine']);
    expect(bus.calls.every((call) => call.status === 200)).toBe(true);
  });

  it('sends an entry that fits only without its trace header without it, rather than refusing it', async () => {
    const item = { ...outboxItem('order-traced', 1), traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' };
    const { traceHeader: _header, ...untraced } = item;

    const outcome = await publisher({ maxRequestBytes: entrySize(toEntry(untraced, 'orders')) }).publish([item]);

    expect(outcome.failed).toEqual([]);
    expect(outcome.published).toEqual([item]);
  });

  it('publishes the versions of one aggregate lowest first, one wave at a time', async () => {
    const versions = [3, 1, 2].map((v) => outboxItem('order-seq', v));

    await publisher().publish(versions);

    expect(bus.accepted.map((a) => a.event.detail.version)).toEqual([1, 2, 3]);
    expect(bus.calls).toHaveLength(3);
  });

  it('treats a call that fails as a whole as a transient failure of each of its entries', async () => {
    const unreachable = new EventBridgePublisher(localEventBridgeClient('http://127.0.0.1:9'), {
      eventBusName: 'orders',
      maxAttempts: 2,
      baseDelayMs: 1,
    });

    const outcome = await unreachable.publish(distinctOrders(2));

    expect(outcome.published).toEqual([]);
    expect(outcome.failed.map((failure) => [failure.errorCode, failure.permanent])).toEqual([
      ['InternalFailure', false],
      ['InternalFailure', false],
    ]);
  });
});

describe('the local EventBridge endpoint', () => {
  const client = () => localEventBridgeClient(bus.endpoint);
  const entry = (detail = '{}') => ({ Source: 'orders', DetailType: 'T', Detail: detail, EventBusName: 'orders' });

  it('refuses more than 10 entries as AWS does', async () => {
    const error = await client()
      .send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) }))
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ValidationException' });
    expect(String((error as Error).message)).toMatch(/Member must have length less than or equal to 10/);
    expect(bus.accepted).toEqual([]);
  });

  it('refuses a request over the size limit as AWS does', async () => {
    const big = JSON.stringify({ x: 'y'.repeat(130 * 1024) });

    const error = await client()
      .send(new PutEventsCommand({ Entries: [entry(big), entry(big)] }))
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' });
    expect(bus.accepted).toEqual([]);
  });

  it('fails an entry whose detail is not a JSON object, and accepts the rest', async () => {
    const response = await client().send(new PutEventsCommand({ Entries: [entry('[1]'), entry('{"ok":true}')] }));

    expect(response.FailedEntryCount).toBe(1);
    expect(response.Entries?.[0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(response.Entries?.[1]?.EventId).toEqual(expect.any(String));
    expect(bus.accepted).toHaveLength(1);
  });
});

describe('EventBridgePublisher when a whole call is refused', () => {
  it('sends the entries of a call refused with ValidationException one by one, so only the bad one fails', async () => {
    // AWS refuses a whole PutEvents call for one invalid entry; the local endpoint answers per
    // entry, so this error path is stubbed: the client refuses any call that carries the bad entry.
    const bad = outboxItem('order-bad', 1);
    const good = [outboxItem('order-1', 1), outboxItem('order-2', 1)];
    const sent: number[] = [];
    const client = {
      send: async (command: PutEventsCommand) => {
        const entries = command.input.Entries ?? [];
        sent.push(entries.length);
        if (entries.some((entry) => entry.Detail === bad.detail)) {
          throw Object.assign(new Error('1 validation error detected'), { name: 'ValidationException' });
        }
        return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e-${i}` })) };
      },
    };
    const publisher = new EventBridgePublisher(client as never, { eventBusName: 'orders', baseDelayMs: 1 });

    const outcome = await publisher.publish([bad, ...good]);

    expect(outcome.published.map((item) => item.aggregateId).sort()).toEqual(['order-1', 'order-2']);
    expect(outcome.failed).toEqual([expect.objectContaining({ item: bad, errorCode: 'ValidationException', permanent: true })]);
    expect(sent).toEqual([3, 1, 1, 1]);
  });
});
