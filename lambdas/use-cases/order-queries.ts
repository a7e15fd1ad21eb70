import { setTimeout as sleep } from 'node:timers/promises';
import { type Caller, assertMayActFor, visibleTo } from '../domain/caller';
import { OrderNotFoundError, VersionAheadError } from '../domain/errors';
import type { Order } from '../domain/order';
import { decodeListCursor, encodeListCursor } from './list-cursor';

export interface OrderReader {
  get(orderId: string): Promise<Order | undefined>;
}

export type ReadSource = 'read-model' | 'write-model';

export interface OrderView {
  readonly order: Order;
  readonly source: ReadSource;
}

export interface OrderQueriesOptions {
  /**
   * How long a read with a minimum version waits for the read model to catch up before it
   * answers from the write model.
   * @default 1000 ms
   */
  readonly minVersionWaitMs?: number;
  /** How often the read model is looked at meanwhile. @default 25 ms */
  readonly pollIntervalMs?: number;
}

/**
 * Reads orders. One order comes from the read model; a client that names the version it wrote
 * (`minVersion`) never gets an older one: if the read model is behind, the read waits a bounded
 * time for it and then answers from the write model with a strongly consistent read. An order
 * the read model has not seen yet is answered from the write model too, so a client can always
 * read what it just created. Another customer's order is, for a customer, absent from both
 * models: the read takes the same path, waits as long, and ends in the same `ORDER_NOT_FOUND`
 * as a read of an order that does not exist (never `VERSION_AHEAD`, which would tell it does).
 */
export class OrderQueries {
  private readonly waitMs: number;
  private readonly pollMs: number;

  public constructor(
    private readonly writeModel: OrderReader,
    private readonly readModel: OrderReader,
    options: OrderQueriesOptions = {},
  ) {
    this.waitMs = options.minVersionWaitMs ?? 1000;
    this.pollMs = options.pollIntervalMs ?? 25;
  }

  public async get(caller: Caller, orderId: string, minVersion?: number): Promise<OrderView> {
    const deadline = Date.now() + (minVersion === undefined ? 0 : this.waitMs);
    for (;;) {
      const projected = visibleTo(caller, await this.readModel.get(orderId));
      if (projected !== undefined && projected.version >= (minVersion ?? 0)) {
        return { order: projected, source: 'read-model' };
      }
      if (Date.now() + this.pollMs > deadline) break;
      await sleep(this.pollMs);
    }
    const written = visibleTo(caller, await this.writeModel.get(orderId));
    if (written === undefined) {
      throw new OrderNotFoundError(orderId);
    }
    if (minVersion !== undefined && minVersion > written.version) {
      throw new VersionAheadError(orderId, minVersion, written.version);
    }
    return { order: written, source: 'write-model' };
  }
}

/** Where a page of a customer's listing ended: the read model's index key of its last order. */
export interface OrderListPosition {
  readonly customerId: string;
  readonly createdAt: string;
  readonly id: string;
}

export interface OrderListPage {
  readonly items: Order[];
  /** Absent on the last page. */
  readonly next?: OrderListPosition;
}

export interface OrderListReader {
  /** A customer's orders, newest first, `limit` at most, starting after `after`. */
  listByCustomer(customerId: string, limit: number, after?: OrderListPosition): Promise<OrderListPage>;
}

export interface OrderListQuery {
  readonly customerId: string;
  readonly limit: number;
  /** The `nextCursor` of the previous page of the same listing. */
  readonly cursor?: string;
}

export interface OrderList {
  readonly items: Order[];
  readonly nextCursor?: string;
}

/**
 * Lists a customer's orders from the read model: a customer their own only (`FORBIDDEN` for
 * another's), staff anyone's. A cursor is checked before anything is read: one that is not of
 * this listing is `InvalidCursorError`.
 */
export class OrderListing {
  public constructor(private readonly readModel: OrderListReader) {}

  public async list(caller: Caller, query: OrderListQuery): Promise<OrderList> {
    assertMayActFor(caller, query.customerId, 'list orders');
    const after = query.cursor === undefined ? undefined : decodeListCursor(query.cursor, query.customerId);
    const page = await this.readModel.listByCustomer(query.customerId, query.limit, after);
    return { items: page.items, ...(page.next === undefined ? {} : { nextCursor: encodeListCursor(page.next) }) };
  }
}
