import { Metrics } from '@aws-lambda-powertools/metrics';
import { OutboxRelay } from '../outbox/relay';
import { createOutboxRelayHandler } from '../outbox/relay-handler';
import { outboxFromEnv } from './outbox-runtime';
import { logger } from './runtime';

const { dispatcher } = outboxFromEnv((key, error) =>
  logger.warn('Could not mark a published outbox item; the reconciler will', {
    ...key,
    error: error instanceof Error ? error.name : String(error),
  }),
);
const relay = new OutboxRelay(dispatcher);

/** Lambda entry point of the outbox relay (DynamoDB stream of the outbox table). */
export const handler = createOutboxRelayHandler(relay, logger, new Metrics());
