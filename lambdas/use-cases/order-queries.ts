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

/**
 * The longest opt-in wait for the read model (`minVersionWaitMs`). The read function times out
 * after 10 s, and a read that waited in vain still has the write model to read after it.
 */
export const MAX_MIN_VERSION_WAIT_MS = 5_000;

export interface OrderQueriesOptions {
  /**
   * How long a read with a minimum version may wait for the read model to reach that version
   * before the write model answers it. 0: no wait, and no look at the read model either: the
   * write model answers at once with one strongly consistent read (see `OrderQueries`). A whole
   * number of milliseconds, at most `MAX_MIN_VERSION_WAIT_MS`.
   * @default 0
   */
  readonly minVersionWaitMs?: number;
  /** How often the read model is looked at during a wait. @default 25 ms */
  readonly pollIntervalMs?: number;
}

/**
 * Reads orders. One order comes from the read model; an order the read model has not seen yet
 * is answered from the write model, so a client can always read what it just created.
 *
 * A client that names the version it wrote (`minVersion`) never gets an older one. By default
 * such a read goes straight to the write model: one strongly consistent `GetItem`, which answers
 * the order or, at once, `VERSION_AHEAD`. Asking the read model first would cost a second
 * `GetItem` and a second round trip whenever it is behind, which, for a read made right after the
 * write it names, is nearly always (its lag is the stream, the relay, the bus and the projector);
 * when it has caught up it costs the same one read (the read model is read consistently too).
 * With the opt-in wait
 * (`minVersionWaitMs` > 0) the read model is asked first and polled until it reaches the version
 * or the wait ends, and only then the write model: fewer reads of the write model, for latency
 * (and `VERSION_AHEAD` comes after the wait, since only the write model can tell).
 *
 * Another customer's order is, for a customer, absent from both models: the read takes the same
 * path, waits as long, and ends in the same `ORDER_NOT_FOUND` as a read of an order that does not
 * exist (never `VERSION_AHEAD`, which would tell it does).
 */
export class OrderQueries {
  private readonly waitMs: number;
  private readonly pollMs: number;

  public constructor(
    private readonly writeModel: OrderReader,
    private readonly readModel: OrderReader,
    options: OrderQueriesOptions = {},
  ) {
    this.waitMs = options.minVersionWaitMs ?? 0;
    this.pollMs = options.pollIntervalMs ?? 25;
    if (!Number.isInteger(this.waitMs) || this.waitMs < 0 || this.waitMs > MAX_MIN_VERSION_WAIT_MS) {
      throw new RangeError(`minVersionWaitMs is ${this.waitMs}: it must be a whole number of milliseconds from 0 to ${MAX_MIN_VERSION_WAIT_MS}.`);
    }
    if (!Number.isInteger(this.pollMs) || this.pollMs < 1) {
      throw new RangeError(`pollIntervalMs is ${this.pollMs}: it must be a whole number of milliseconds, at least 1.`);
    }
  }

  public async get(caller: Caller, orderId: string, minVersion?: number): Promise<OrderView> {
    if (minVersion === undefined || this.waitMs > 0) {
      const projected = await this.fromReadModel(caller, orderId, minVersion);
      if (projected !== undefined) {
        return { order: projected, source: 'read-model' };
      }
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

  /** The read model's order once it has reached `minVersion`, polled for at most the wait. */
  private async fromReadModel(caller: Caller, orderId: string, minVersion = 0): Promise<Order | undefined> {
    const deadline = Date.now() + (minVersion === 0 ? 0 : this.waitMs);
    for (;;) {
      const projected = visibleTo(caller, await this.readModel.get(orderId));
      if (projected !== undefined && projected.version >= minVersion) {
        return projected;
      }
      if (Date.now() + this.pollMs > deadline) {
        return undefined;
      }
      await sleep(this.pollMs);
    }
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
