import { randomBytes } from 'node:crypto';
import type { Order } from '../../lambdas/domain/order';
import { seededRandom } from '../events/bus';
import type { AcceptedCommand } from './audit';
import type { ChaosHttp } from './http';
import { type Fate, commandsOf, fateOf } from './plan';

type Command = ReturnType<typeof commandsOf>[number];

export interface OrderDriverOptions {
  readonly orders: number;
  readonly seed: number;
  readonly http: ChaosHttp;
  /** The caller's headers (a token when the stack has callers), read per request. */
  readonly auth: () => Record<string, string>;
  /** Called once an order is placed, before its next command. */
  readonly afterPlace?: (orderId: string) => Promise<void>;
}

/**
 * The orders of a chaos run, each through its whole lifecycle (its fate drawn from the seed),
 * every command with an `Idempotency-Key` of its own; records every command the API accepted,
 * with the version it answered.
 */
export class OrderDriver {
  public readonly accepted: AcceptedCommand[] = [];
  /** Commands answered with a 4xx: the driver sends only valid ones, so each is a finding. */
  public readonly refusals: string[] = [];
  public replays = 0;
  public unexpectedVersions = 0;
  public ordersDone = 0;
  public readonly planned: number;
  private readonly fates: Fate[];
  private readonly runId = randomBytes(4).toString('hex');

  public constructor(private readonly options: OrderDriverOptions) {
    this.fates = Array.from({ length: options.orders }, (_, index) => fateOf(seededRandom(options.seed * 1_000_003 + index)));
    this.planned = this.fates.reduce((sum, fate) => sum + commandsOf(fate).length, 0);
  }

  /** Accepted commands over planned ones. */
  public get progress(): number {
    return this.accepted.length / this.planned;
  }

  /** Drives every order, `concurrency` at a time; a request that gives up fails the run. */
  public async driveAll(concurrency: number, signal: AbortSignal): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < this.options.orders && !signal.aborted) await this.drive(next++);
      }),
    );
  }

  private async drive(index: number): Promise<void> {
    let orderId: string | undefined;
    let expectedVersion = 1;
    for (const command of commandsOf(this.fates[index] ?? 'ship')) {
      const order = await this.send(index, command, orderId);
      if (order === undefined) return;
      orderId = order.id;
      this.accepted.push({ orderId: order.id, version: order.version, command });
      if (order.version !== expectedVersion) this.unexpectedVersions += 1;
      expectedVersion = order.version + 1;
      if (command === 'place') await this.options.afterPlace?.(order.id);
    }
    this.ordersDone += 1;
  }

  private async send(index: number, command: Command, orderId: string | undefined): Promise<Order | undefined> {
    const route = command === 'place' ? '/orders' : `/orders/${orderId}/${command}`;
    const body =
      command === 'place'
        ? { customerId: `c-${index % 50}`, currency: 'EUR', items: [{ sku: `SKU-${index % 7}`, quantity: 1 + (index % 3), unitPrice: 100 + index }] }
        : command === 'ship'
          ? { trackingNumber: `T-${index}` }
          : command === 'cancel'
            ? { reason: 'chaos' }
            : undefined;
    // A network error, a 5xx or a token made stale by a restart sends the same request again,
    // same key: one change, whatever happened.
    const answer = await this.options.http.send('POST', route, {
      ...(body === undefined ? {} : { body }),
      headers: () => ({ 'idempotency-key': `chaos-${this.runId}-${index}-${command}`, ...this.options.auth() }),
      retryUnauthorized: true,
      // Patient, as a client with a key can afford to be: on a 2-core machine shared with other
      // work, DynamoDB Local stalls for tens of seconds at times and functions time out (500).
      deadlineMs: 600_000,
    });
    if (answer.status !== 200 && answer.status !== 201) {
      this.refusals.push(`${command} ${orderId ?? `(order #${index})`}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      return undefined;
    }
    if (answer.headers.get('idempotent-replayed') === 'true') this.replays += 1;
    return answer.body as Order;
  }
}
