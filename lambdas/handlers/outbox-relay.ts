import { Metrics } from '@aws-lambda-powertools/metrics';
import { createOutboxRelayHandler } from '../outbox/relay-handler';
import { relayFromEnv } from './outbox-runtime';
import { logger } from './runtime';
import { traced } from './tracing';

const relay = relayFromEnv((key, error) =>
  logger.warn('Could not mark a published outbox item; the reconciler will', {
    ...key,
    error: error instanceof Error ? error.name : String(error),
  }),
);

/** Lambda entry point of the outbox relay (DynamoDB stream of the outbox table). */
export const handler = traced(createOutboxRelayHandler(relay, logger, new Metrics()));
