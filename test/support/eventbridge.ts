import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { OutboxItem } from '../../lambdas/outbox/item';
import { eventIdFor } from '../../lambdas/domain/events';

/** A real EventBridge client pointed at a local endpoint, without the SDK's own retries. */
export const localEventBridgeClient = (endpoint: string): EventBridgeClient =>
  new EventBridgeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

/** An outbox item of aggregate `aggregateId` at `version`, with a detail of about `detailBytes`. */
export const outboxItem = (
  aggregateId: string,
  version: number,
  detailBytes = 200,
  sequenceNumber = String(version),
): OutboxItem & { sequenceNumber: string } => {
  const eventId = eventIdFor('Order', aggregateId, version);
  const envelope = { eventId, aggregateType: 'Order', aggregateId, version, occurredAt: '2026-11-25T10:00:00.000Z', data: {}, state: {} };
  const base = JSON.stringify(envelope);
  const detail = JSON.stringify({ ...envelope, data: { padding: 'x'.repeat(Math.max(0, detailBytes - base.length - 20)) } });
  return {
    aggregateId,
    version,
    eventId,
    aggregateType: 'Order',
    source: 'orders',
    detailType: 'OrderPlaced',
    occurredAt: '2026-11-25T10:00:00.000Z',
    detail,
    status: 'PENDING',
    sequenceNumber,
  };
};
