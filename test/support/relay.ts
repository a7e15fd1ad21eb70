import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { inject } from 'vitest';
import { OutboxDispatcher } from '../../lambdas/outbox/dispatcher';
import { OutboxMarker } from '../../lambdas/outbox/marker';
import { OutboxParker } from '../../lambdas/outbox/parker';
import { EventBridgePublisher, type EventBridgePublisherOptions } from '../../lambdas/outbox/publisher';
import { OutboxRelay, type RelayResult } from '../../lambdas/outbox/relay';
import { type LocalEventBridge, type LocalEventBridgeOptions, seededRandom, startLocalEventBridge } from '../../local/events/bus';
import { type StreamPollerOptions, StreamPoller } from '../../local/lambda/stream-poller';
import { type StreamMappingSettings, streamMappingsOf } from '../../local/model';
import { type TestTables, createTestTables, documentClient, ordersTemplate, testDynamoClient } from './dynamodb';
import { localEventBridgeClient } from './eventbridge';

export interface RelayFixture {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TestTables;
  readonly bus: LocalEventBridge;
  readonly relay: OutboxRelay;
  readonly publisher: EventBridgePublisher;
  readonly marker: OutboxMarker;
  readonly parker: OutboxParker;
  /** The relay's own publish, mark and park path (the sweep shares it). */
  readonly dispatcher: OutboxDispatcher;
  readonly results: RelayResult[];
  readonly streamArn: string;
  /** The relay's stream mapping, as the synthesized template defines it. */
  readonly mapping: StreamMappingSettings;
  /** A poller that runs the relay with the template's mapping settings. */
  relayPoller(overrides?: Partial<StreamPollerOptions>): StreamPoller;
  /** Every record on the outbox stream so far, unfiltered, as Lambda would deliver them. */
  captureRecords(): Promise<DynamoDBRecord[]>;
  close(): Promise<void>;
}

/** Fresh tables, a local bus and the relay wired to them, for one test. */
export const startRelayFixture = async (
  options: {
    bus?: LocalEventBridgeOptions;
    publisher?: Partial<EventBridgePublisherOptions>;
    /** @default the tier's shared DynamoDB Local */
    dynamodbEndpoint?: string;
  } = {},
): Promise<RelayFixture> => {
  const endpoint = options.dynamodbEndpoint ?? inject('dynamodbEndpoint');
  const client = testDynamoClient(endpoint);
  const doc = documentClient(client);
  const tables = await createTestTables(client);
  const bus = await startLocalEventBridge({ random: seededRandom(11), ...options.bus });
  const publisher = new EventBridgePublisher(localEventBridgeClient(bus.endpoint), {
    eventBusName: 'orders-bus',
    baseDelayMs: 1,
    maxDelayMs: 10,
    ...options.publisher,
  });
  const marker = new OutboxMarker(doc, { tableName: tables.outbox });
  const parker = new OutboxParker(doc, { tableName: tables.outbox });
  const dispatcher = new OutboxDispatcher(publisher, marker, parker);
  const relay = new OutboxRelay(dispatcher);
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tables.outbox }));
  const streamArn = Table?.LatestStreamArn;
  if (streamArn === undefined) throw new Error('The outbox table has no stream.');
  const streams = new DynamoDBStreamsClient({ endpoint });
  const [mapping] = streamMappingsOf(ordersTemplate());
  if (mapping === undefined) throw new Error('The template has no stream mapping.');
  const results: RelayResult[] = [];
  const pollers: StreamPoller[] = [];

  const relayPoller = (overrides: Partial<StreamPollerOptions> = {}): StreamPoller => {
    const poller = new StreamPoller({
      client: streams,
      streamArn,
      handler: async (event) => {
        const result = await relay.relay(event.Records);
        results.push(result);
        return result.response;
      },
      batchSize: mapping.batchSize,
      filters: mapping.filters,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      bisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
      maxRetryAttempts: mapping.maxRetryAttempts,
      pollIntervalMs: 50,
      ...overrides,
    });
    pollers.push(poller);
    return poller;
  };

  const captureRecords = async (): Promise<DynamoDBRecord[]> => {
    const captured: DynamoDBRecord[] = [];
    const poller = new StreamPoller({
      client: streams,
      streamArn,
      pollIntervalMs: 50,
      batchSize: 1000,
      handler: async (event) => {
        captured.push(...event.Records);
      },
    });
    await poller.drain();
    return captured;
  };

  return {
    client,
    doc,
    tables,
    bus,
    relay,
    publisher,
    marker,
    parker,
    dispatcher,
    results,
    streamArn,
    mapping,
    relayPoller,
    captureRecords,
    close: async () => {
      await Promise.all(pollers.map((poller) => poller.stop()));
      await bus.close();
      streams.destroy();
      client.destroy();
    },
  };
};

/** The fixture's bus refuses these aggregates' entries for good (`InvalidArgument`), as EventBridge does a malformed entry. */
export const refuseAggregates = (f: RelayFixture, aggregateIds: readonly string[]): void =>
  f.bus.setFaults({
    entryFault: (entry) =>
      aggregateIds.some((id) => (entry.Detail ?? '').includes(`"aggregateId":"${id}"`)) ? { code: 'InvalidArgument', message: 'Refused for good (test).' } : undefined,
  });
