import type { Order, OrderChange } from '../domain/order';

/** What a request's Idempotency-Key binds to: the key and a fingerprint of method, path and body. */
export interface IdempotencyRequest {
  readonly key: string;
  readonly fingerprint: string;
}

/**
 * An idempotency key as it is kept: keys belong to the caller who sent them (`owner`, their
 * `sub`), so the same key from two callers is two keys, and no caller can block or replay
 * another's.
 */
export interface IdempotencyKey {
  readonly owner: string;
  readonly key: string;
}

/** A caller's key, the request it binds and whether the change created the order. */
export interface IdempotencyBinding extends IdempotencyKey {
  readonly fingerprint: string;
  readonly created: boolean;
}

/** The outcome stored with an idempotency key, in the same transaction as the change itself. */
export interface StoredOutcome {
  readonly fingerprint: string;
  readonly order: Order;
  readonly created: boolean;
}

export interface OrderRepository {
  /** A strongly consistent read of the write model. */
  get(orderId: string): Promise<Order | undefined>;
  findOutcome(idempotencyKey: IdempotencyKey): Promise<StoredOutcome | undefined>;
  /**
   * Writes the order, its outbox event and (when given) the idempotency outcome atomically.
   * Throws `StaleVersionError`, `WriteConflictError`, `IdempotencyKeyTakenError` or
   * `OrderNotFoundError` for the conditions a caller can act on.
   */
  commit(change: OrderChange, idempotency?: IdempotencyBinding): Promise<void>;
}
