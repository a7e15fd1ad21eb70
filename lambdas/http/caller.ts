import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Caller, impliedCustomer } from '../domain/caller';
import { ValidationError } from '../domain/errors';

/**
 * Who is calling, from what the HTTP API's JWT authorizer verified. It puts the token's claims
 * in `requestContext.authorizer.jwt.claims` (values as strings: an array claim such as
 * `cognito:groups` arrives flattened, `"[staff admins]"`) and its scopes in `.jwt.scopes`.
 */

/** `jwt`: the caller is the token's `sub`. `none`: no authorizer; every request is staff. */
export const AUTH_MODES = ['jwt', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export type CallerReader = (event: APIGatewayProxyEventV2) => Caller;

/** The Cognito group, and the OAuth scope (resource server `orders`, scope `staff`), of staff. */
export const STAFF_GROUP = 'staff';
export const STAFF_SCOPE = 'orders/staff';

/**
 * Everyone, with `AUTH_MODE=none` (the deployer's explicit, warned opt-out): today's open
 * behaviour. Its `sub` is empty, which no issuer's subject is, so its idempotency keys are
 * never a signed-in caller's.
 */
export const ANONYMOUS_STAFF: Caller = { sub: '', staff: true };

/** An OIDC subject is 1..255 characters; control characters are no one's. */
const SUBJECT = /^[^\u0000-\u001f\u007f]{1,255}$/;

/**
 * A request with no usable `sub`. Behind the authorizer that cannot happen (the gateway answers
 * 401 first); it means a misconfigured route, and it is answered like the gateway's own 401.
 */
export class UnauthenticatedError extends Error {
  public constructor(reason: string) {
    super(`The request carries no usable caller: ${reason}.`);
    this.name = 'UnauthenticatedError';
  }
}

export const callerReader = (mode: AuthMode): CallerReader => (mode === 'none' ? () => ANONYMOUS_STAFF : readJwtCaller);

export const readJwtCaller = (event: APIGatewayProxyEventV2): Caller => {
  const jwt = jwtOf(event);
  if (jwt === undefined) {
    throw new UnauthenticatedError('no JWT authorizer context');
  }
  const { sub } = jwt.claims;
  if (typeof sub !== 'string' || !SUBJECT.test(sub)) {
    throw new UnauthenticatedError('no sub claim of 1..255 printable characters');
  }
  const staff =
    listClaim(jwt.claims['cognito:groups']).includes(STAFF_GROUP) ||
    [...stringsOf(jwt.scopes), ...spaceSeparated(jwt.claims.scope)].includes(STAFF_SCOPE);
  return { sub, staff };
};

/**
 * The customer a request names at `path`, or, when it names none, the one its caller implies (a
 * customer, themselves). Staff must name one: `400` at `path`. Whether the caller may act for the
 * customer named is the use case's decision.
 */
export const requestedCustomer = (caller: Caller, named: string | undefined, path: string): string => {
  const customerId = named ?? impliedCustomer(caller);
  if (customerId === undefined) {
    throw new ValidationError([{ path, message: 'is required when staff call' }]);
  }
  return customerId;
};

interface JwtContext {
  readonly claims: Readonly<Record<string, unknown>>;
  readonly scopes: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const jwtOf = (event: APIGatewayProxyEventV2): JwtContext | undefined => {
  const context: unknown = event.requestContext;
  const authorizer = isRecord(context) ? context.authorizer : undefined;
  const jwt = isRecord(authorizer) ? authorizer.jwt : undefined;
  if (!isRecord(jwt) || !isRecord(jwt.claims)) {
    return undefined;
  }
  return { claims: jwt.claims, scopes: jwt.scopes };
};

const stringsOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

const spaceSeparated = (value: unknown): string[] =>
  typeof value === 'string' ? value.split(/\s+/).filter((item) => item !== '') : stringsOf(value);

/**
 * An array claim: a real array; or as API Gateway flattens one, `[a b]`; or a JSON array; or a
 * bare value. Group names hold no whitespace (Cognito's rule), so whitespace alone separates.
 */
const listClaim = (value: unknown): string[] => {
  if (typeof value !== 'string') {
    return stringsOf(value);
  }
  const text = value.trim();
  if (!(text.startsWith('[') && text.endsWith(']'))) {
    return spaceSeparated(text);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) {
      return stringsOf(parsed);
    }
  } catch {
    // Not JSON: API Gateway's own flattening, `[staff admins]`.
  }
  return spaceSeparated(text.slice(1, -1));
};
