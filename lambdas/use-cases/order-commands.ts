import { setTimeout as sleep } from 'node:timers/promises';
import { type Caller, assertMayActFor, assertMayRun, visibleTo } from '../domain/caller';
import {
  ConcurrentUpdateError,
  IdempotencyKeyReusedError,
  InvalidTransitionError,
  OrderNotFoundError,
  VersionMismatchError,
} from '../domain/errors';
import {
  type Clock,
  type Order,
  type OrderChange,
  type OrderCommand,
  type PlaceOrderCommand,
  applyCommand,
  placeOrder,
  systemClock,
} from '../domain/order';
import { withCorrelationId } from '../domain/events';
import { IdempotencyKeyTakenError, StaleVersionError, WriteConflictError } from './errors';
import type { IdempotencyKey, IdempotencyRequest, OrderRepository, StoredOutcome } from './ports';

export interface CommandOutcome {
  readonly order: Order;
  /** True when the command created the order (the HTTP layer answers 201). */
  readonly created: boolean;
  /** True when the outcome is the stored one of an earlier request with the same idempotency key. */
  readonly replayed: boolean;
}

export interface OrderCommandsOptions {
  /**
   * Attempts at a command whose order changes underneath it (optimistic-concurrency losses and
   * transaction conflicts) before giving up with `CONCURRENT_UPDATE`.
   * @default 6
   */
  readonly maxAttempts?: number;
  /** @default 20 ms, doubled per attempt, full jitter, capped at 500 ms */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default `Math.random` */
  readonly random?: () => number;
}

export interface CommandContext {
  /** The version the client says the order is at (`If-Match`). */
  readonly expectedVersion?: number;
  readonly idempotency?: IdempotencyRequest;
  /**
   * The request's correlation id, written into the event's envelope. It is not part of the
   * idempotency fingerprint: a retry under another correlation id is still the same request,
   * and replays the first one's outcome.
   */
  readonly correlationId?: string;
}

/**
 * The order use cases: decide a change on the current state, commit it with its event (and
 * idempotency outcome) in one transaction, and resolve what the commit reports: replay a stored
 * outcome, turn a lost race into a retry on fresh state, or give up after a bounded number of
 * attempts.
 */
export class OrderCommands {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;

  public constructor(
    private readonly repository: OrderRepository,
    options: OrderCommandsOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 20;
    this.maxDelayMs = options.maxDelayMs ?? 500;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** Places an order for `command.customerId`: a customer only for themselves (else `FORBIDDEN`). */
  public async place(caller: Caller, command: PlaceOrderCommand, context: CommandContext = {}): Promise<CommandOutcome> {
    assertMayActFor(caller, command.customerId, 'place orders');
    // A new id is drawn on every attempt: should one ever collide, the retry simply uses another.
    return this.execute(caller, undefined, context, true, async () => placeOrder(command, this.clock));
  }

  /**
   * Runs a command on an order. A customer may run only the customer commands (else
   * `FORBIDDEN`, before the order is read) and only on their own orders: another customer's
   * order is `ORDER_NOT_FOUND`, decided and answered exactly as a missing one.
   */
  public async apply(
    caller: Caller,
    orderId: string,
    command: OrderCommand,
    context: CommandContext = {},
  ): Promise<CommandOutcome> {
    assertMayRun(caller, command.type);
    return this.execute(caller, orderId, context, false, async () => {
      const current = visibleTo(caller, await this.repository.get(orderId));
      if (current === undefined) {
        throw new OrderNotFoundError(orderId);
      }
      if (context.expectedVersion !== undefined && current.version !== context.expectedVersion) {
        throw new VersionMismatchError(orderId, context.expectedVersion, current.version);
      }
      return applyCommand(current, command, this.clock);
    });
  }

  /**
   * Runs a command and, when it carries an idempotency key and is refused, asks whether it was
   * refused because its own original got there first. That is the client that timed out and
   * retried: while the original commits, the retry reads the order the original left behind and
   * `decide()` refuses it (an invalid transition, a version mismatch), or it loses the commit.
   * The answer it is owed is the replay, so the key is looked up once before any refusal goes
   * out. Only refusals pay that read; a command that commits, or whose commit fails on the key
   * itself, never does.
   */
  private async execute(
    caller: Caller,
    orderId: string | undefined,
    context: CommandContext,
    created: boolean,
    decide: () => Promise<OrderChange>,
  ): Promise<CommandOutcome> {
    const { idempotency } = context;
    try {
      return await this.decideAndCommit(caller, orderId, context, created, decide);
    } catch (error: unknown) {
      if (idempotency === undefined || !mayBeLostToTheOriginal(error)) {
        throw error;
      }
      const prior = await this.repository.findOutcome(ownedBy(caller, idempotency));
      if (prior === undefined) {
        throw error;
      }
      return replay(prior, idempotency);
    }
  }

  private async decideAndCommit(
    caller: Caller,
    orderId: string | undefined,
    context: CommandContext,
    created: boolean,
    decide: () => Promise<OrderChange>,
  ): Promise<CommandOutcome> {
    const { idempotency, expectedVersion } = context;
    for (let attempt = 1; ; attempt++) {
      // No lookup of the key first: the transaction is the check. The idempotency record's
      // condition fails when the key already has an outcome, and the record comes back with the
      // failure, so a duplicate needs no lookup of its own, and no lookup can go stale before the
      // commit it was meant to guard.
      const change = withCorrelation(await decide(), context.correlationId);
      try {
        await this.repository.commit(
          change,
          idempotency === undefined ? undefined : { ...ownedBy(caller, idempotency), fingerprint: idempotency.fingerprint, created },
        );
        return { order: change.order, created, replayed: false };
      } catch (error: unknown) {
        if (error instanceof IdempotencyKeyTakenError && idempotency !== undefined) {
          return replay(error.outcome, idempotency);
        }
        if (error instanceof StaleVersionError && expectedVersion !== undefined) {
          throw new VersionMismatchError(error.orderId, expectedVersion, error.currentVersion ?? 0);
        }
        if (!(error instanceof StaleVersionError || error instanceof WriteConflictError)) {
          throw error;
        }
        if (attempt >= this.maxAttempts) {
          throw new ConcurrentUpdateError(orderId ?? change.order.id, attempt, { cause: error });
        }
        await sleep(this.backoffMs(attempt));
      }
    }
  }

  /** Exponential backoff with full jitter, so racing writers spread out instead of colliding again. */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }
}

/**
 * The refusals a keyed request can get because its original committed first: the original moved
 * the order on (an invalid transition, or past the version `If-Match` named) or won every race
 * for it (a concurrent update). A missing order is on the list too: orders are never deleted, so
 * a key with an outcome there was used for another request, and the client hears 422, as it
 * would had the command gone through. Anything else (a reused key the commit already reported,
 * an unknown failure) goes out as it is.
 */
const mayBeLostToTheOriginal = (error: unknown): boolean =>
  error instanceof InvalidTransitionError ||
  error instanceof VersionMismatchError ||
  error instanceof OrderNotFoundError ||
  error instanceof ConcurrentUpdateError;

const withCorrelation = (change: OrderChange, correlationId: string | undefined): OrderChange =>
  correlationId === undefined ? change : { ...change, event: withCorrelationId(change.event, correlationId) };

/** Keys belong to their caller: the same key from two callers is two keys. */
const ownedBy = (caller: Caller, request: IdempotencyRequest): IdempotencyKey => ({ owner: caller.sub, key: request.key });

const replay = (prior: StoredOutcome, request: IdempotencyRequest): CommandOutcome => {
  if (prior.fingerprint !== request.fingerprint) {
    throw new IdempotencyKeyReusedError();
  }
  return { order: prior.order, created: prior.created, replayed: true };
};
