import type { StoredOutcome } from './ports';

/**
 * Conditions the repository reports and the use cases resolve (retry, replay, or a domain
 * error). They are not domain errors: one that escapes is a bug, and the mapper answers 500.
 */
export class StaleVersionError extends Error {
  public constructor(
    public readonly orderId: string,
    public readonly expectedVersion: number,
    public readonly currentVersion: number | undefined,
  ) {
    super(`Order ${orderId} is no longer at version ${expectedVersion} (now ${currentVersion ?? 'absent'}).`);
    this.name = 'StaleVersionError';
  }
}

export class WriteConflictError extends Error {
  public constructor(public readonly orderId: string, options?: ErrorOptions) {
    super(`A concurrent transaction touched order ${orderId}.`, options);
    this.name = 'WriteConflictError';
  }
}

export class IdempotencyKeyTakenError extends Error {
  public constructor(public readonly outcome: StoredOutcome) {
    super('The idempotency key already has an outcome.');
    this.name = 'IdempotencyKeyTakenError';
  }
}

/** The outbox already holds an event for this version: the write model and outbox disagree. */
export class OutboxCollisionError extends Error {
  public constructor(
    public readonly aggregateId: string,
    public readonly version: number,
  ) {
    super(`The outbox already holds an event for ${aggregateId} v${version}.`);
    this.name = 'OutboxCollisionError';
  }
}

/**
 * A `GET /orders` cursor that is not one this listing issued (malformed, tampered with, or of
 * another customer's listing). The HTTP layer answers it `400 VALIDATION_FAILED` naming `cursor`.
 */
export class InvalidCursorError extends Error {
  public constructor(public readonly reason: string) {
    super(`The cursor is not valid for this listing: ${reason}.`);
    this.name = 'InvalidCursorError';
  }
}
