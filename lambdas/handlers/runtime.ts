import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { DynamoOrderReader, DynamoOrderRepository } from '../adapters/dynamodb-order-repository';
import { DynamoReadModel } from '../adapters/dynamodb-read-model';
import { loadConfig, positiveInt, tableName } from '../config';
import { AUTH_MODES, type CallerReader, callerReader } from '../http/caller';
import { OrderCommands } from '../use-cases/order-commands';
import { tracedDocumentClient } from './tracing';
import { MAX_MIN_VERSION_WAIT_MS, OrderListing, OrderQueries } from '../use-cases/order-queries';

/**
 * Cold-start wiring, shared by the handlers. Each builder reads only the variables its function
 * is given, so a read-only function needs (and gets) no write-side configuration.
 */
export const logger = new Logger();

export const orderCommandsFromEnv = (): OrderCommands => {
  const config = loadConfig({
    ORDERS_TABLE_NAME: tableName,
    OUTBOX_TABLE_NAME: tableName,
    IDEMPOTENCY_TABLE_NAME: tableName,
    IDEMPOTENCY_TTL_SECONDS: positiveInt(24 * 60 * 60),
    OUTBOX_PENDING_SHARDS: z.coerce.number().int().min(1).max(100),
  });
  const repository = new DynamoOrderRepository(tracedDocumentClient(), {
    ordersTableName: config.ORDERS_TABLE_NAME,
    outboxTableName: config.OUTBOX_TABLE_NAME,
    idempotencyTableName: config.IDEMPOTENCY_TABLE_NAME,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    pendingShards: config.OUTBOX_PENDING_SHARDS,
  });
  return new OrderCommands(repository);
};

export const orderQueriesFromEnv = (): OrderQueries => {
  const config = loadConfig({
    ORDERS_TABLE_NAME: tableName,
    READ_MODEL_TABLE_NAME: tableName,
    // Off unless the stack opts in (`minVersionWait`): the write model answers an X-Min-Version read at once.
    MIN_VERSION_WAIT_MS: z.coerce.number().int().min(0).max(MAX_MIN_VERSION_WAIT_MS).default(0),
  });
  const client = tracedDocumentClient();
  return new OrderQueries(
    new DynamoOrderReader(client, config.ORDERS_TABLE_NAME),
    new DynamoReadModel(client, config.READ_MODEL_TABLE_NAME),
    { minVersionWaitMs: config.MIN_VERSION_WAIT_MS },
  );
};

export const orderListingFromEnv = (): OrderListing => {
  const config = loadConfig({ READ_MODEL_TABLE_NAME: tableName });
  return new OrderListing(new DynamoReadModel(tracedDocumentClient(), config.READ_MODEL_TABLE_NAME));
};

/**
 * Who is calling, as `AUTH_MODE` says: `jwt` (the default), the JWT authorizer's claims;
 * `none` (set by the stack only when the deployer asked for no authorizer), everyone is staff.
 */
export const callersFromEnv = (): CallerReader => {
  const config = loadConfig({ AUTH_MODE: z.enum(AUTH_MODES).default('jwt') });
  if (config.AUTH_MODE === 'none') {
    logger.warn('AUTH_MODE is none: every request is treated as staff, as the stack was deployed without an authorizer');
  }
  return callerReader(config.AUTH_MODE);
};
