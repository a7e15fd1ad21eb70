import { Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { loadConfig } from '../config';
import { OutboxRelay } from '../outbox/relay';
import { OutboxStatusReader } from '../outbox/status';
import { createOutboxRelayHandler } from '../outbox/relay-handler';
import { outboxFromEnv } from './outbox-runtime';
import { logger } from './runtime';
import { traced } from './tracing';

const { dispatcher, client, config } = outboxFromEnv((key, error) =>
  logger.warn('Could not mark a published outbox item; the reconciler will', {
    ...key,
    error: error instanceof Error ? error.name : String(error),
  }),
);
const { RELAY_STATUS_CHECK_AFTER_SECONDS } = loadConfig({
  // The sweep's grace: only items older than it can have been published by the sweep already.
  RELAY_STATUS_CHECK_AFTER_SECONDS: z.coerce.number().int().min(0).default(120),
});
const relay = new OutboxRelay(dispatcher, {
  statusReader: new OutboxStatusReader(client, { tableName: config.OUTBOX_TABLE_NAME }),
  statusCheckAfterMs: RELAY_STATUS_CHECK_AFTER_SECONDS * 1000,
});

/** Lambda entry point of the outbox relay (DynamoDB stream of the outbox table). */
export const handler = traced(createOutboxRelayHandler(relay, logger, new Metrics()));
