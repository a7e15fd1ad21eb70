import { Metrics } from '@aws-lambda-powertools/metrics';
import { OutboxSweeper } from '../outbox/reconciler';
import { createReconcilerHandler } from '../outbox/reconciler-handler';
import { outboxFromEnv, reconcilerSettingsFromEnv } from './outbox-runtime';
import { logger } from './runtime';

const { config, client, publisher, marker } = outboxFromEnv();
const { pendingShards, settings } = reconcilerSettingsFromEnv();

/** Lambda entry point of the generic outbox reconciler: republishes what stayed pending. */
export const handler = createReconcilerHandler(
  new OutboxSweeper(client, config.OUTBOX_TABLE_NAME, pendingShards, publisher, marker),
  settings,
  logger,
  new Metrics(),
);
