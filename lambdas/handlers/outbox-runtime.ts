import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import { loadConfig, nonNegativeInt, positiveInt, tableName } from '../config';
import { DEFAULT_MAX_REQUEST_BYTES } from '../outbox/entries';
import { PENDING_SHARD_CEILING } from '../outbox/item';
import { OutboxDispatcher } from '../outbox/dispatcher';
import { OutboxMarker } from '../outbox/marker';
import { OutboxOperations } from '../outbox/operations';
import { ParkedRetry } from '../outbox/parked-retry';
import { OutboxParker } from '../outbox/parker';
import { OutboxSweeper } from '../outbox/reconciler';
import { OutboxRelay } from '../outbox/relay';
import { OutboxStatusReader } from '../outbox/status';
import { EventBridgePublisher } from '../outbox/publisher';
import { tracedDocumentClient, tracer } from './tracing';

/**
 * Cold-start wiring shared by the relay, the reconciler and the operations function: one
 * publisher, marker, parker and dispatcher, so all publish, mark and park the same way.
 */
export const outboxFromEnv = (onMarkError?: (key: { aggregateId: string; version: number }, error: unknown) => void) => {
  const config = loadConfig({
    OUTBOX_TABLE_NAME: tableName,
    EVENT_BUS_NAME: z.string().min(1).max(256),
    PUT_EVENTS_MAX_REQUEST_BYTES: positiveInt(DEFAULT_MAX_REQUEST_BYTES),
    PUBLISH_CONCURRENCY: positiveInt(4),
    PUBLISH_MAX_ATTEMPTS: positiveInt(5),
    PUBLISHED_RETENTION_SECONDS: positiveInt(7 * 24 * 60 * 60),
  });
  const client = tracedDocumentClient();
  const publisher = new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), {
    eventBusName: config.EVENT_BUS_NAME,
    maxRequestBytes: config.PUT_EVENTS_MAX_REQUEST_BYTES,
    concurrency: config.PUBLISH_CONCURRENCY,
    maxAttempts: config.PUBLISH_MAX_ATTEMPTS,
  });
  const marker = new OutboxMarker(client, { tableName: config.OUTBOX_TABLE_NAME, retentionSeconds: config.PUBLISHED_RETENTION_SECONDS });
  const parker = new OutboxParker(client, { tableName: config.OUTBOX_TABLE_NAME, retentionSeconds: config.PUBLISHED_RETENTION_SECONDS });
  const dispatcher = new OutboxDispatcher(publisher, marker, parker, undefined, onMarkError);
  return { config, client, publisher, marker, parker, dispatcher };
};

export const reconcilerSettingsFromEnv = () => {
  const config = loadConfig({
    OUTBOX_PENDING_SHARDS: z.coerce.number().int().min(1).max(PENDING_SHARD_CEILING),
    RECONCILE_GRACE_SECONDS: nonNegativeInt(120),
    RECONCILE_MAX_ITEMS: positiveInt(1000),
    AUDIT_WINDOW_HOURS: positiveInt(24),
    AUDIT_MAX_ORDERS: positiveInt(5000),
    AUDIT_MAX_REPAIRS: positiveInt(100),
  });
  return {
    pendingShards: config.OUTBOX_PENDING_SHARDS,
    settings: {
      graceSeconds: config.RECONCILE_GRACE_SECONDS,
      maxItems: config.RECONCILE_MAX_ITEMS,
      auditWindowHours: config.AUDIT_WINDOW_HOURS,
      auditMaxOrders: config.AUDIT_MAX_ORDERS,
      auditMaxRepairs: config.AUDIT_MAX_REPAIRS,
    },
  };
};

/** Cold-start wiring of a reconciler: the sweep, the parked-item retry and the parked statistics. */
export const reconcilerFromEnv = () => {
  const outbox = outboxFromEnv();
  const { pendingShards, settings } = reconcilerSettingsFromEnv();
  const parts = {
    sweeper: new OutboxSweeper(outbox.client, outbox.config.OUTBOX_TABLE_NAME, outbox.dispatcher),
    parker: outbox.parker,
    retry: new ParkedRetry(outbox.publisher, outbox.parker),
  };
  return { ...outbox, parts, pendingShards, settings };
};

/**
 * The relay's cold-start wiring: the shared dispatcher, and the status check for records older
 * than the sweep's grace (only those can have been published by the sweep already).
 */
export const relayFromEnv = (onMarkError?: (key: { aggregateId: string; version: number }, error: unknown) => void): OutboxRelay => {
  const { dispatcher, client, config } = outboxFromEnv(onMarkError);
  const { RELAY_STATUS_CHECK_AFTER_SECONDS } = loadConfig({ RELAY_STATUS_CHECK_AFTER_SECONDS: nonNegativeInt(120) });
  return new OutboxRelay(dispatcher, {
    statusReader: new OutboxStatusReader(client, { tableName: config.OUTBOX_TABLE_NAME }),
    statusCheckAfterMs: RELAY_STATUS_CHECK_AFTER_SECONDS * 1000,
  });
};

/** The operations function's cold-start wiring: the shared publisher and parker, and a parked retry. */
export const operationsFromEnv = (): OutboxOperations => {
  const { client, config, publisher, parker } = outboxFromEnv();
  return new OutboxOperations(client, publisher, new ParkedRetry(publisher, parker), {
    tableName: config.OUTBOX_TABLE_NAME,
    retentionSeconds: config.PUBLISHED_RETENTION_SECONDS,
  });
};
