import { Metrics } from '@aws-lambda-powertools/metrics';
import { createReconcilerHandler } from '../outbox/reconciler-handler';
import { reconcilerFromEnv } from './outbox-runtime';
import { logger } from './runtime';
import { traced } from './tracing';

const { parts, settings } = reconcilerFromEnv();

/** Lambda entry point of the generic outbox reconciler: republishes what stayed pending, retries parked items. */
export const handler = traced(createReconcilerHandler(parts, settings, logger, new Metrics()));
