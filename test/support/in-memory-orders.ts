import { type Order, type OrderChange, placeOrder } from '../../lambdas/domain/order';
import { IdempotencyKeyTakenError } from '../../lambdas/use-cases/errors';
import type { OrderListPage, OrderListPosition, OrderListReader } from '../../lambdas/use-cases/order-queries';
import type { IdempotencyBinding, IdempotencyKey, OrderRepository, StoredOutcome } from '../../lambdas/use-cases/ports';

/**
 * A write model and listing in memory, for unit tests of handlers and use cases: commits succeed
 * unless the idempotency key is taken, and every write, lookup and listing is counted.
 */
export class InMemoryOrders implements OrderRepository, OrderListReader {
  public readonly orders = new Map<string, Order>();
  public readonly outcomes = new Map<string, StoredOutcome>();
  public readonly writes = { commits: 0, lookups: 0, listings: 0 };

  public async get(orderId: string): Promise<Order | undefined> {
    return this.orders.get(orderId);
  }

  public async findOutcome(key: IdempotencyKey): Promise<StoredOutcome | undefined> {
    this.writes.lookups += 1;
    return this.outcomes.get(JSON.stringify([key.owner, key.key]));
  }

  public async commit(change: OrderChange, idempotency?: IdempotencyBinding): Promise<void> {
    this.writes.commits += 1;
    const key = idempotency === undefined ? undefined : JSON.stringify([idempotency.owner, idempotency.key]);
    const taken = key === undefined ? undefined : this.outcomes.get(key);
    if (taken !== undefined) throw new IdempotencyKeyTakenError(taken);
    this.orders.set(change.order.id, change.order);
    if (key !== undefined && idempotency !== undefined) {
      this.outcomes.set(key, { fingerprint: idempotency.fingerprint, created: idempotency.created, order: change.order });
    }
  }

  public async listByCustomer(customerId: string, limit: number, after?: OrderListPosition): Promise<OrderListPage> {
    this.writes.listings += 1;
    const all = [...this.orders.values()].filter((order) => order.customerId === customerId);
    const start = after === undefined ? 0 : all.findIndex((order) => order.id === after.id) + 1;
    const items = all.slice(start, start + limit);
    const last = items.at(-1);
    return {
      items,
      ...(start + limit < all.length && last !== undefined
        ? { next: { customerId, createdAt: last.createdAt, id: last.id } }
        : {}),
    };
  }

  public add(customerId: string): Order {
    const { order } = placeOrder({ customerId, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] });
    this.orders.set(order.id, order);
    return order;
  }

  public snapshot(): string {
    return JSON.stringify([[...this.orders.entries()], [...this.outcomes.entries()]]);
  }
}
