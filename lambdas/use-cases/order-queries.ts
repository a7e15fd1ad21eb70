import { setTimeout as sleep } from 'node:timers/promises';
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
 * read what it just created.
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

  public async get(orderId: string, minVersion?: number): Promise<OrderView> {
    const deadline = Date.now() + (minVersion === undefined ? 0 : this.waitMs);
    for (;;) {
      const projected = await this.readModel.get(orderId);
      if (projected !== undefined && projected.version >= (minVersion ?? 0)) {
        return { order: projected, source: 'read-model' };
      }
      if (Date.now() + this.pollMs > deadline) break;
      await sleep(this.pollMs);
    }
    const written = await this.writeModel.get(orderId);
    if (written === undefined) {
      throw new OrderNotFoundError(orderId);
    }
    if (minVersion !== undefined && minVersion > written.version) {
      throw new VersionAheadError(orderId, minVersion, written.version);
    }
    return { order: written, source: 'write-model' };
  }
}
