import { randomUUID } from 'node:crypto';
import { InvalidTransitionError } from './errors';
import { type OrderEvent, newOrderEvent } from './events';

export const ORDER_STATUSES = ['PLACED', 'CONFIRMED', 'SHIPPED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Order ids are the UUIDs `placeOrder` draws (lower-case hex), and nothing else names an order. */
export const ORDER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
  /** Minor units (cents). */
  readonly unitPrice: number;
}

export interface Order {
  readonly id: string;
  readonly customerId: string;
  readonly currency: string;
  readonly items: readonly OrderItem[];
  /** Minor units: the sum of quantity * unitPrice. */
  readonly total: number;
  readonly status: OrderStatus;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly trackingNumber?: string;
  readonly cancellationReason?: string;
}

export interface PlaceOrderCommand {
  readonly customerId: string;
  readonly currency: string;
  readonly items: readonly OrderItem[];
}

export type OrderCommand =
  | { readonly type: 'confirm' }
  | { readonly type: 'ship'; readonly trackingNumber?: string }
  | { readonly type: 'cancel'; readonly reason?: string };

/**
 * A decided change: the order as it will be, the version it must still be at for the change to
 * apply (0 for a new order), and the one event that announces it. The adapter commits all of it
 * in one transaction or none of it.
 */
export interface OrderChange {
  readonly order: Order;
  readonly expectedVersion: number;
  readonly event: OrderEvent;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Which commands each status accepts, and the status each one leads to. */
const TRANSITIONS: Readonly<Record<OrderStatus, Partial<Record<OrderCommand['type'], OrderStatus>>>> = {
  PLACED: { confirm: 'CONFIRMED', cancel: 'CANCELLED' },
  CONFIRMED: { ship: 'SHIPPED', cancel: 'CANCELLED' },
  SHIPPED: {},
  CANCELLED: {},
};

export const isFinal = (status: OrderStatus): boolean => Object.keys(TRANSITIONS[status]).length === 0;

export const orderTotal = (items: readonly OrderItem[]): number =>
  items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);

export const placeOrder = (
  command: PlaceOrderCommand,
  clock: Clock = systemClock,
  newId: () => string = randomUUID,
): OrderChange => {
  const at = clock.now().toISOString();
  const order: Order = {
    id: newId(),
    customerId: command.customerId,
    currency: command.currency,
    items: command.items.map((item) => ({ sku: item.sku, quantity: item.quantity, unitPrice: item.unitPrice })),
    total: orderTotal(command.items),
    status: 'PLACED',
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const event = newOrderEvent('OrderPlaced', order, {
    customerId: order.customerId,
    currency: order.currency,
    items: order.items,
    total: order.total,
  });
  return { order, expectedVersion: 0, event };
};

export const applyCommand = (current: Order, command: OrderCommand, clock: Clock = systemClock): OrderChange => {
  const next = TRANSITIONS[current.status][command.type];
  if (next === undefined) {
    throw new InvalidTransitionError(current.id, current.status, command.type);
  }
  const base: Order = { ...current, status: next, version: current.version + 1, updatedAt: clock.now().toISOString() };
  switch (command.type) {
    case 'confirm': {
      return { order: base, expectedVersion: current.version, event: newOrderEvent('OrderConfirmed', base, {}) };
    }
    case 'ship': {
      const order: Order =
        command.trackingNumber === undefined ? base : { ...base, trackingNumber: command.trackingNumber };
      const data = command.trackingNumber === undefined ? {} : { trackingNumber: command.trackingNumber };
      return { order, expectedVersion: current.version, event: newOrderEvent('OrderShipped', order, data) };
    }
    case 'cancel': {
      const order: Order = command.reason === undefined ? base : { ...base, cancellationReason: command.reason };
      const data = {
        previousStatus: current.status,
        ...(command.reason === undefined ? {} : { reason: command.reason }),
      };
      return { order, expectedVersion: current.version, event: newOrderEvent('OrderCancelled', order, data) };
    }
  }
};

/**
 * The event of an order's current version, rebuilt from its state, for a repair when that
 * version's event is missing from the outbox. Its `eventId` is the one the original had (ids
 * derive from aggregate and version); `data` is what the state still tells (an `OrderCancelled`
 * rebuilt this way cannot say the status it left).
 */
export const eventForCurrentState = (order: Order): OrderEvent => {
  switch (order.status) {
    case 'PLACED':
      return order.version === 1
        ? newOrderEvent('OrderPlaced', order, { customerId: order.customerId, currency: order.currency, items: order.items, total: order.total })
        : newOrderEvent('OrderPlaced', order, {});
    case 'CONFIRMED':
      return newOrderEvent('OrderConfirmed', order, {});
    case 'SHIPPED':
      return newOrderEvent('OrderShipped', order, order.trackingNumber === undefined ? {} : { trackingNumber: order.trackingNumber });
    case 'CANCELLED':
      return newOrderEvent('OrderCancelled', order, order.cancellationReason === undefined ? {} : { reason: order.cancellationReason });
  }
};
