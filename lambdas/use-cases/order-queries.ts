import { OrderNotFoundError, VersionAheadError } from '../domain/errors';
import type { Order } from '../domain/order';

export interface OrderReader {
  get(orderId: string): Promise<Order | undefined>;
}

export type ReadSource = 'read-model' | 'write-model';

export interface OrderView {
  readonly order: Order;
  readonly source: ReadSource;
}

/**
 * Reads one order. Until the read model exists this answers from the write model with a
 * strongly consistent read, so any `minVersion` the order has reached is always satisfied.
 */
export class OrderQueries {
  public constructor(private readonly writeModel: OrderReader) {}

  public async get(orderId: string, minVersion?: number): Promise<OrderView> {
    const order = await this.writeModel.get(orderId);
    if (order === undefined) {
      throw new OrderNotFoundError(orderId);
    }
    if (minVersion !== undefined && minVersion > order.version) {
      throw new VersionAheadError(orderId, minVersion, order.version);
    }
    return { order, source: 'write-model' };
  }
}
