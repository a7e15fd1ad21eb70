import { performance } from 'node:perf_hooks';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { placeOrder } from '../lambdas/domain/order';
import { toEntry } from '../lambdas/outbox/entries';
import { OutboxDispatcher } from '../lambdas/outbox/dispatcher';
import { OutboxParker } from '../lambdas/outbox/parker';
import { OutboxMarker } from '../lambdas/outbox/marker';
import { EventBridgePublisher } from '../lambdas/outbox/publisher';
import { OutboxRelay } from '../lambdas/outbox/relay';
import { startLocalEventBridge } from '../local/events/bus';
import { StreamPoller } from '../local/lambda/stream-poller';
import { benchTables } from './setup';
import { PartiqlMarker } from './partiql-marker';
import { fixed, row } from './stats';

export interface RelayFigure {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly callsPer1000: number;
  /** Share of the relay's time in each stage of a dispatch (the batch-100 relay, timed once more). */
  readonly stageShares?: Readonly<Record<string, number>>;
}

/**
 * Events per second and `PutEvents` calls per 1,000 events through the relay (publish and mark),
 * fed the same real stream records in batches of 1, 10 and 100, against a naive relay that makes
 * one call per record, measured in the same run on DynamoDB Local and the local EventBridge.
 */
export const benchRelay = async (endpoint: string, events: number, rounds = 3): Promise<RelayFigure[]> => {
  const { client, doc, tables, repository } = await benchTables(endpoint, 'relaybench');
  const outboxTable = tables.outbox;
  for (let i = 0; i < events; i++) {
    await repository.commit(placeOrder({ customerId: `c-${i}`, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }));
  }

  const streams = new DynamoDBStreamsClient({ endpoint });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: outboxTable }));
  const records: DynamoDBRecord[] = [];
  await new StreamPoller({
    client: streams,
    streamArn: Table?.LatestStreamArn ?? '',
    batchSize: 1000,
    pollIntervalMs: 20,
    handler: async (event) => {
      records.push(...event.Records);
    },
  }).drain();
  const pendingItems = records.map((record) => unmarshall((record.dynamodb?.NewImage ?? {}) as never));

  const bus = await startLocalEventBridge();
  const eventBridge = new EventBridgeClient({ endpoint: bus.endpoint });
  const marker = new OutboxMarker(doc, { tableName: outboxTable });
  const parker = new OutboxParker(doc, { tableName: outboxTable });

  /** Puts every item back to pending, so each variant marks as much as the first. */
  const resetMarks = async (): Promise<void> => {
    for (let i = 0; i < pendingItems.length; i += 25) {
      const chunk = pendingItems.slice(i, i + 25);
      await doc.send(new BatchWriteCommand({ RequestItems: { [outboxTable]: chunk.map((Item) => ({ PutRequest: { Item } })) } }));
    }
    bus.reset();
  };

  // One unmeasured pass first, so the engine and the JIT are warm for every measured variant.
  await resetMarks();
  const relayOf = (withMarker: OutboxMarker = marker) =>
    new OutboxRelay(new OutboxDispatcher(new EventBridgePublisher(eventBridge, { eventBusName: 'orders' }), withMarker, parker));
  await relayOf().relay(records);
  const oneUpdateEach = new OutboxMarker(doc, { tableName: outboxTable, concurrency: 1 });
  const inBatches = (relay: OutboxRelay, batchSize: number) => async (): Promise<void> => {
    for (let i = 0; i < records.length; i += batchSize) await relay.relay(records.slice(i, i + batchSize));
  };
  const variants: { name: string; run: () => Promise<void> }[] = [
    {
      name: 'naive: one PutEvents per record',
      run: async () => {
        for (const record of records) {
          const item = unmarshall((record.dynamodb?.NewImage ?? {}) as never) as Parameters<typeof toEntry>[0] & { version: number };
          await eventBridge.send(new PutEventsCommand({ Entries: [toEntry(item, 'orders')] }));
          await oneUpdateEach.markPublished([item], new Date());
        }
      },
    },
    { name: 'relay, batch 100, PartiQL marks', run: inBatches(relayOf(new PartiqlMarker(doc, { tableName: outboxTable }) as unknown as OutboxMarker), 100) },
    ...[1, 10, 100].map((batchSize) => ({ name: `relay, batch size ${batchSize}`, run: inBatches(relayOf(), batchSize) })),
  ];

  // Rounds of every variant in turn; each variant's median round, so a busy moment of the
  // machine weighs on one round of one variant, not on a whole variant.
  const seconds = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  const calls = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    for (const { name, run } of variants) {
      await resetMarks();
      const started = performance.now();
      await run();
      seconds.get(name)?.push((performance.now() - started) / 1000);
      if (bus.accepted.length < events) throw new Error(`${name}: published ${bus.accepted.length} of ${events}`);
      calls.set(name, bus.calls.length);
    }
  }
  const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? NaN;
  const figures: RelayFigure[] = variants.map(({ name }) => ({
    name,
    events,
    seconds: median(seconds.get(name) ?? []),
    callsPer1000: ((calls.get(name) ?? 0) / events) * 1000,
  }));

  // Where the time goes: the relay at batch 100 once more, each stage of the dispatch timed.
  await resetMarks();
  const stages = { holds: 0, publish: 0, mark: 0, park: 0 };
  const timed = <A extends unknown[], R>(stage: keyof typeof stages, fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const t = performance.now();
    try {
      return await fn(...args);
    } finally {
      stages[stage] += performance.now() - t;
    }
  };
  const publisher = new EventBridgePublisher(eventBridge, { eventBusName: 'orders' });
  publisher.publish = timed('publish', publisher.publish.bind(publisher));
  marker.markPublished = timed('mark', marker.markPublished.bind(marker));
  parker.heldAggregates = timed('holds', parker.heldAggregates.bind(parker));
  parker.park = timed('park', parker.park.bind(parker));
  const staged = new OutboxRelay(new OutboxDispatcher(publisher, marker, parker));
  const started = performance.now();
  for (let i = 0; i < records.length; i += 100) await staged.relay(records.slice(i, i + 100));
  const total = performance.now() - started;
  const stageShares = Object.fromEntries(Object.entries(stages).map(([stage, ms]) => [stage, ms / total]));

  await bus.close();
  eventBridge.destroy();
  streams.destroy();
  client.destroy();
  return figures.map((figure) => (figure.name === 'relay, batch size 100' ? { ...figure, stageShares } : figure));
};

export const reportRelay = (figures: readonly RelayFigure[]): string => {
  const [baseline] = figures;
  if (baseline === undefined) throw new Error('no baseline measured');
  const rate = (figure: RelayFigure): number => figure.events / figure.seconds;
  const widths = [34, 10, 12, 9, 15];
  let out = `\nRelay: ${baseline.events} outbox events from real stream records to the local EventBridge, publish + mark\n\n`;
  out += row(['variant', 'events/s', 'calls/1000', 'speed x', 'fewer calls x'], widths);
  for (const figure of figures) {
    out += row(
      [figure.name, rate(figure).toFixed(0), figure.callsPer1000.toFixed(0), fixed(rate(figure) / rate(baseline)), (baseline.callsPer1000 / figure.callsPer1000).toFixed(1)],
      widths,
    );
  }
  out += '\n(x = ratio to the naive baseline in this run; each figure the median of 3 interleaved rounds.)\n';
  const staged = figures.find((figure) => figure.stageShares !== undefined);
  if (staged?.stageShares !== undefined) {
    const shares = Object.entries(staged.stageShares).map(([stage, share]) => `${stage} ${(share * 100).toFixed(0)}%`);
    out += `where the batch-100 relay's time goes: ${shares.join(', ')}\n`;
  }
  return out;
};
