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
import { startLocalEventBridge } from '../local/eventbridge';
import { StreamPoller } from '../local/stream-poller';
import { benchTables } from './setup';
import { fixed, row } from './stats';

export interface RelayFigure {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly callsPer1000: number;
}

/**
 * Events per second and `PutEvents` calls per 1,000 events through the relay (publish and mark),
 * fed the same real stream records in batches of 1, 10 and 100, against a naive relay that makes
 * one call per record, measured in the same run on DynamoDB Local and the local EventBridge.
 */
export const benchRelay = async (endpoint: string, events: number): Promise<RelayFigure[]> => {
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

  const figures: RelayFigure[] = [];
  const measure = async (name: string, run: () => Promise<void>): Promise<void> => {
    await resetMarks();
    const started = performance.now();
    await run();
    const seconds = (performance.now() - started) / 1000;
    if (bus.accepted.length < events) throw new Error(`${name}: published ${bus.accepted.length} of ${events}`);
    figures.push({ name, events, seconds, callsPer1000: (bus.calls.length / events) * 1000 });
  };

  // One unmeasured pass first, so the engine and the JIT are warm for every measured variant.
  await resetMarks();
  const relayOf = () => new OutboxRelay(new OutboxDispatcher(new EventBridgePublisher(eventBridge, { eventBusName: 'orders' }), marker, parker));
  await relayOf().relay(records);

  await measure('naive: one PutEvents per record', async () => {
    for (const record of records) {
      const item = unmarshall((record.dynamodb?.NewImage ?? {}) as never) as Parameters<typeof toEntry>[0] & { version: number };
      await eventBridge.send(new PutEventsCommand({ Entries: [toEntry(item, 'orders')] }));
      await marker.markPublished([item], new Date());
    }
  });
  for (const batchSize of [1, 10, 100]) {
    const relay = relayOf();
    await measure(`relay, batch size ${batchSize}`, async () => {
      for (let i = 0; i < records.length; i += batchSize) {
        await relay.relay(records.slice(i, i + batchSize));
      }
    });
  }

  await bus.close();
  eventBridge.destroy();
  streams.destroy();
  client.destroy();
  return figures;
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
  return `${out}\n(x = ratio to the naive baseline in this run.)\n`;
};
