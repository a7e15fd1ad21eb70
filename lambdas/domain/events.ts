import { v5 as uuidv5 } from 'uuid';
import type { Order } from './order';

export const ORDER_EVENT_SOURCE = 'orders';
export const ORDER_AGGREGATE_TYPE = 'Order';
export const ORDER_EVENT_TYPES = ['OrderPlaced', 'OrderConfirmed', 'OrderShipped', 'OrderCancelled'] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/**
 * The `detail` of every event this service publishes (CONTRACT.md, "Events"). `state` is the
 * whole aggregate at `version`, so a consumer never has to call back for it.
 */
export interface EventEnvelope<TData, TState> {
  readonly eventId: string;
  /**
   * The id of the request that caused the event (the client's `X-Correlation-Id`, else the API's
   * request id), for following one request through logs. Events rebuilt by the reconciler's
   * audit have none. Not part of the event's identity: `eventId` is.
   */
  readonly correlationId?: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly data: TData;
  readonly state: TState;
}

export interface OrderEvent {
  readonly source: typeof ORDER_EVENT_SOURCE;
  readonly type: OrderEventType;
  readonly detail: EventEnvelope<Record<string, unknown>, Order>;
}

/** Fixed namespace for name-based (v5) event ids; changing it changes every id. */
const EVENT_ID_NAMESPACE = '0b5b5f6e-4a44-4d7c-9a4e-4f1f6b0f2c11';

/**
 * The event id is derived from (aggregate type, id, version), not drawn at random: every copy of
 * the event of one version, whoever builds it (the write, a repair by the reconciler), carries
 * the same id, so consumers can dedupe on it.
 */
export const eventIdFor = (aggregateType: string, aggregateId: string, version: number): string =>
  uuidv5(`${aggregateType}/${aggregateId}/${version}`, EVENT_ID_NAMESPACE);

export const newOrderEvent = (type: OrderEventType, order: Order, data: Record<string, unknown>): OrderEvent => ({
  source: ORDER_EVENT_SOURCE,
  type,
  detail: {
    eventId: eventIdFor(ORDER_AGGREGATE_TYPE, order.id, order.version),
    aggregateType: ORDER_AGGREGATE_TYPE,
    aggregateId: order.id,
    version: order.version,
    occurredAt: order.updatedAt,
    data,
    state: order,
  },
});

/** The event with the request's correlation id in its envelope, placed right after `eventId`. */
export const withCorrelationId = (event: OrderEvent, correlationId: string | undefined): OrderEvent => {
  if (correlationId === undefined) return event;
  const { eventId, correlationId: _previous, ...rest } = event.detail;
  return { ...event, detail: { eventId, correlationId, ...rest } };
};
