import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { loadConfig, positiveInt, tableName } from '../config';
import { DEFAULT_MAX_REQUEST_BYTES } from '../outbox/entries';
import { OutboxMarker } from '../outbox/marker';
import { EventBridgePublisher } from '../outbox/publisher';
import { OutboxRelay } from '../outbox/relay';
import { createOutboxRelayHandler } from '../outbox/relay-handler';
import { logger } from './runtime';

const config = loadConfig({
  OUTBOX_TABLE_NAME: tableName,
  EVENT_BUS_NAME: z.string().min(1).max(256),
  PUT_EVENTS_MAX_REQUEST_BYTES: positiveInt(DEFAULT_MAX_REQUEST_BYTES),
  PUBLISH_CONCURRENCY: positiveInt(4),
  PUBLISH_MAX_ATTEMPTS: positiveInt(5),
  PUBLISHED_RETENTION_SECONDS: positiveInt(7 * 24 * 60 * 60),
});

const publisher = new EventBridgePublisher(new EventBridgeClient({}), {
  eventBusName: config.EVENT_BUS_NAME,
  maxRequestBytes: config.PUT_EVENTS_MAX_REQUEST_BYTES,
  concurrency: config.PUBLISH_CONCURRENCY,
  maxAttempts: config.PUBLISH_MAX_ATTEMPTS,
});
const marker = new OutboxMarker(createDocumentClient(), {
  tableName: config.OUTBOX_TABLE_NAME,
  retentionSeconds: config.PUBLISHED_RETENTION_SECONDS,
});
const relay = new OutboxRelay(publisher, marker, undefined, (key, error) =>
  logger.warn('Could not mark a published outbox item; the reconciler will', {
    ...key,
    error: error instanceof Error ? error.name : String(error),
  }),
);

/** Lambda entry point of the outbox relay (DynamoDB stream of the outbox table). */
export const handler = createOutboxRelayHandler(relay, logger, new Metrics());
