import { LambdaClient } from '@aws-sdk/client-lambda';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { loadConfig, tableName } from '../config';
import { OrdersAudit } from '../adapters/dynamodb-orders-audit';
import { LambdaProjectorRepair } from '../adapters/lambda-projector-repair';
import { createReconcilerHandler } from '../outbox/reconciler-handler';
import { reconcilerFromEnv } from './outbox-runtime';
import { logger } from './runtime';
import { traced, tracer } from './tracing';

const { client, config, parts, pendingShards, settings } = reconcilerFromEnv();
const orders = loadConfig({
  ORDERS_TABLE_NAME: tableName,
  READ_MODEL_TABLE_NAME: tableName,
  READ_MODEL_PROJECTOR_FUNCTION_NAME: z.string().min(1).max(140),
  AWS_REGION: z.string().min(1),
});

/** Lambda entry point of the Orders reconciler: the outbox sweep, parked retries and the orders audit. */
export const handler = traced(createReconcilerHandler(
  {
    ...parts,
    audit: new OrdersAudit(
      client,
      {
        ordersTableName: orders.ORDERS_TABLE_NAME,
        outboxTableName: config.OUTBOX_TABLE_NAME,
        readModelTableName: orders.READ_MODEL_TABLE_NAME,
        pendingShards,
        retentionSeconds: config.PUBLISHED_RETENTION_SECONDS,
      },
      new LambdaProjectorRepair(tracer.captureAWSv3Client(new LambdaClient({})), orders.READ_MODEL_PROJECTOR_FUNCTION_NAME, orders.AWS_REGION),
    ),
  },
  settings,
  logger,
  new Metrics(),
));
