import { Metrics } from '@aws-lambda-powertools/metrics';
import { createOperationsHandler } from '../outbox/operations-handler';
import { operationsFromEnv } from './outbox-runtime';
import { logger } from './runtime';
import { traced } from './tracing';

const operations = operationsFromEnv();

/** Lambda entry point of the outbox operations the CLI invokes (`npm run outbox -- ...`). */
export const handler = traced(createOperationsHandler(operations, logger, new Metrics()));
