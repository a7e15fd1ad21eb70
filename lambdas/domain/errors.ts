/**
 * Named domain errors. Each keeps the context a caller needs to answer the client, and the
 * error mapper in `lambdas/http/http.ts` is the only place that turns them into HTTP.
 */
export abstract class DomainError extends Error {
  public abstract readonly code: string;

  protected constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends DomainError {
  public readonly code = 'VALIDATION_FAILED';

  public constructor(public readonly issues: readonly ValidationIssue[], message = 'The request is not valid.') {
    super(message);
  }
}

/**
 * A signed-in caller may not do this at all (a customer confirming, or placing for someone
 * else). Never used for another customer's order: that one answers `OrderNotFoundError`, so a
 * refusal does not reveal that it exists.
 */
export class ForbiddenError extends DomainError {
  public readonly code = 'FORBIDDEN';

  public constructor(message: string) {
    super(message);
  }
}

export class OrderNotFoundError extends DomainError {
  public readonly code = 'ORDER_NOT_FOUND';

  public constructor(public readonly orderId: string) {
    super(`Order ${orderId} does not exist.`);
  }
}

export class InvalidTransitionError extends DomainError {
  public readonly code = 'INVALID_TRANSITION';

  public constructor(
    public readonly orderId: string,
    public readonly from: string,
    public readonly command: string,
  ) {
    super(`Cannot ${command} order ${orderId}: it is ${from}.`);
  }
}

export class VersionMismatchError extends DomainError {
  public readonly code = 'VERSION_MISMATCH';

  public constructor(
    public readonly orderId: string,
    public readonly expectedVersion: number,
    public readonly currentVersion: number,
  ) {
    super(`Order ${orderId} is at version ${currentVersion}, not ${expectedVersion}.`);
  }
}

export class ConcurrentUpdateError extends DomainError {
  public readonly code = 'CONCURRENT_UPDATE';

  public constructor(
    public readonly orderId: string,
    public readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(`Order ${orderId} kept changing underneath the command; gave up after ${attempts} attempts.`, options);
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  public readonly code = 'IDEMPOTENCY_KEY_REUSED';

  public constructor() {
    super('This Idempotency-Key was already used with a different request.');
  }
}

export class VersionAheadError extends DomainError {
  public readonly code = 'VERSION_AHEAD';

  public constructor(
    public readonly orderId: string,
    public readonly minVersion: number,
    public readonly currentVersion: number,
  ) {
    super(`Order ${orderId} is at version ${currentVersion}; version ${minVersion} does not exist yet.`);
  }
}
