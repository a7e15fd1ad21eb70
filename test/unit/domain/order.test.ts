import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from '../../../lambdas/domain/errors';
import { eventIdFor } from '../../../lambdas/domain/events';
import { type Order, type OrderCommand, applyCommand, isFinal, orderTotal, placeOrder } from '../../../lambdas/domain/order';

const t0 = new Date('2026-11-25T10:00:00.000Z');
const t1 = new Date('2026-11-25T10:05:00.000Z');
const at = (date: Date) => ({ now: () => date });

const placed = (): Order =>
  placeOrder(
    {
      customerId: 'c-1',
      currency: 'EUR',
      items: [
        { sku: 'A-1', quantity: 2, unitPrice: 1250 },
        { sku: 'B-1', quantity: 3, unitPrice: 1 },
      ],
    },
    at(t0),
    () => 'order-1',
  ).order;

const withStatus = (status: Order['status']): Order => ({ ...placed(), status, version: 4 });

describe('placeOrder', () => {
  it('creates a PLACED order at version 1 with the total in minor units', () => {
    const { order, expectedVersion } = placeOrder(
      { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'A-1', quantity: 2, unitPrice: 1250 }] },
      at(t0),
      () => 'order-1',
    );

    expect(order).toEqual({
      id: 'order-1',
      customerId: 'c-1',
      currency: 'EUR',
      items: [{ sku: 'A-1', quantity: 2, unitPrice: 1250 }],
      total: 2500,
      status: 'PLACED',
      version: 1,
      createdAt: '2026-11-25T10:00:00.000Z',
      updatedAt: '2026-11-25T10:00:00.000Z',
    });
    expect(expectedVersion).toBe(0);
  });

  it('announces the placement with an OrderPlaced event carrying the order as state', () => {
    const { order, event } = placeOrder(
      { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'A-1', quantity: 1, unitPrice: 5 }] },
      at(t0),
      () => 'order-1',
    );

    expect(event).toEqual({
      source: 'orders',
      type: 'OrderPlaced',
      detail: {
        eventId: eventIdFor('Order', 'order-1', 1),
        aggregateType: 'Order',
        aggregateId: 'order-1',
        version: 1,
        occurredAt: '2026-11-25T10:00:00.000Z',
        data: { customerId: 'c-1', currency: 'EUR', items: order.items, total: 5 },
        state: order,
      },
    });
  });

  it('draws unguessable UUIDv4 ids by default', () => {
    const command = { customerId: 'c', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] };
    const a = placeOrder(command).order.id;
    const b = placeOrder(command).order.id;

    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });
});

describe('the status machine', () => {
  const allowed: [Order['status'], OrderCommand['type'], Order['status']][] = [
    ['PLACED', 'confirm', 'CONFIRMED'],
    ['PLACED', 'cancel', 'CANCELLED'],
    ['CONFIRMED', 'ship', 'SHIPPED'],
    ['CONFIRMED', 'cancel', 'CANCELLED'],
  ];
  const refused: [Order['status'], OrderCommand['type']][] = [
    ['PLACED', 'ship'],
    ['CONFIRMED', 'confirm'],
    ['SHIPPED', 'confirm'],
    ['SHIPPED', 'ship'],
    ['SHIPPED', 'cancel'],
    ['CANCELLED', 'confirm'],
    ['CANCELLED', 'ship'],
    ['CANCELLED', 'cancel'],
  ];

  it.each(allowed)('moves %s to %s', (from, command, to) => {
    const change = applyCommand(withStatus(from), { type: command } as OrderCommand, at(t1));

    expect(change.order.status).toBe(to);
  });

  it.each(refused)('refuses to %2$s a %1$s order', (from, command) => {
    expect(() => applyCommand(withStatus(from), { type: command } as OrderCommand)).toThrow(InvalidTransitionError);
  });

  it('treats SHIPPED and CANCELLED as final, and only those', () => {
    expect(['PLACED', 'CONFIRMED', 'SHIPPED', 'CANCELLED'].filter((s) => isFinal(s as Order['status']))).toEqual([
      'SHIPPED',
      'CANCELLED',
    ]);
  });
});

describe('versioning', () => {
  it('adds exactly one to the version, expects the current one, and stamps updatedAt', () => {
    const current = placed();

    const change = applyCommand(current, { type: 'confirm' }, at(t1));

    expect(change.order.version).toBe(current.version + 1);
    expect(change.expectedVersion).toBe(current.version);
    expect(change.order.updatedAt).toBe(t1.toISOString());
    expect(change.order.createdAt).toBe(current.createdAt);
  });

  it('carries the new version and state in the event', () => {
    const change = applyCommand(placed(), { type: 'confirm' }, at(t1));

    expect(change.event.type).toBe('OrderConfirmed');
    expect(change.event.detail).toMatchObject({ version: 2, occurredAt: t1.toISOString(), data: {}, state: change.order });
    expect(change.event.detail.eventId).toBe(eventIdFor('Order', 'order-1', 2));
  });

  it('records the tracking number of a shipment on the order and in the event', () => {
    const confirmed = applyCommand(placed(), { type: 'confirm' }).order;

    const change = applyCommand(confirmed, { type: 'ship', trackingNumber: 'TRK-9' });

    expect(change.order.trackingNumber).toBe('TRK-9');
    expect(change.event).toMatchObject({ type: 'OrderShipped', detail: { data: { trackingNumber: 'TRK-9' } } });
  });

  it('records the reason and previous status of a cancellation', () => {
    const change = applyCommand(placed(), { type: 'cancel', reason: 'duplicate' });

    expect(change.order.cancellationReason).toBe('duplicate');
    expect(change.event).toMatchObject({
      type: 'OrderCancelled',
      detail: { data: { previousStatus: 'PLACED', reason: 'duplicate' } },
    });
  });

  it('does not change the order it was given', () => {
    const current = placed();
    const copy = structuredClone(current);

    applyCommand(current, { type: 'cancel', reason: 'x' });

    expect(current).toEqual(copy);
  });
});

describe('eventIdFor', () => {
  it('gives every copy of one version the same id, and other versions other ids', () => {
    expect(eventIdFor('Order', 'o-1', 1)).toBe(eventIdFor('Order', 'o-1', 1));
    expect(eventIdFor('Order', 'o-1', 1)).not.toBe(eventIdFor('Order', 'o-1', 2));
    expect(eventIdFor('Order', 'o-1', 1)).not.toBe(eventIdFor('Order', 'o-2', 1));
    expect(eventIdFor('Order', 'o-1', 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('orderTotal', () => {
  it('sums quantity times unit price in minor units', () => {
    expect(orderTotal(placed().items)).toBe(2 * 1250 + 3);
    expect(orderTotal([{ sku: 'A', quantity: 1000, unitPrice: 100_000_000 }])).toBe(100_000_000_000);
  });
});
