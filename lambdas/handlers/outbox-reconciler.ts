import { Metrics } from '@aws-lambda-powertools/metrics';
import { createReconcilerHandler } from '../outbox/reconciler-handler';
import { reconcilerFromEnv } from './outbox-runtime';
import { logger } from './runtime';

const { parts, settings } = reconcilerFromEnv();

/** Lambda entry point of the generic outbox reconciler: republishes what stayed pending, retries parked items. */
export const handler = createReconcilerHandler(parts, settings, logger, new Metrics());
