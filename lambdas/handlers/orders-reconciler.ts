import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadConfig, tableName } from '../config';
import { OutboxSweeper } from '../outbox/reconciler';
import { createReconcilerHandler } from '../outbox/reconciler-handler';
import { OrdersAudit } from '../adapters/dynamodb-orders-audit';
import { outboxFromEnv, reconcilerSettingsFromEnv } from './outbox-runtime';
import { logger } from './runtime';

const { config, client, publisher, marker } = outboxFromEnv();
const { pendingShards, settings } = reconcilerSettingsFromEnv();
const tables = loadConfig({ ORDERS_TABLE_NAME: tableName, READ_MODEL_TABLE_NAME: tableName });

/** Lambda entry point of the Orders reconciler: the outbox sweep plus the orders audit. */
export const handler = createReconcilerHandler(
  new OutboxSweeper(client, config.OUTBOX_TABLE_NAME, pendingShards, publisher, marker),
  settings,
  logger,
  new Metrics(),
  new OrdersAudit(
    client,
    {
      ordersTableName: tables.ORDERS_TABLE_NAME,
      outboxTableName: config.OUTBOX_TABLE_NAME,
      readModelTableName: tables.READ_MODEL_TABLE_NAME,
      pendingShards,
      retentionSeconds: config.PUBLISHED_RETENTION_SECONDS,
    },
    publisher,
  ),
);
