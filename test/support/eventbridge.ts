import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { OutboxItem } from '../../lambdas/outbox/item';
import { eventIdFor } from '../../lambdas/domain/events';
import type { OrderChange } from '../../lambdas/domain/order';

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

/** The EventBridge event the rule hands the projector for a change. */
export const delivered = (change: OrderChange) => ({
  version: '0',
  id: 'e',
  source: change.event.source,
  'detail-type': change.event.type,
  account: '0',
  time: change.event.detail.occurredAt,
  region: 'us-east-1',
  resources: [],
  detail: JSON.parse(JSON.stringify(change.event.detail)),
});
