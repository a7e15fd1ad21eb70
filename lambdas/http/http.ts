import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DomainError, ValidationError } from '../domain/errors';
import { ORDER_ID_PATTERN, type Order } from '../domain/order';
import { InvalidCursorError } from '../use-cases/errors';
import type { IdempotencyRequest } from '../use-cases/ports';
import { UnauthenticatedError } from './caller';

export const MAX_BODY_BYTES = 64 * 1024;

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
};

/** A refusal that belongs to HTTP itself rather than to the domain. */
export class HttpRequestError extends Error {
  public constructor(
    public readonly statusCode: number,
    public readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpRequestError';
  }
}

const DOMAIN_STATUS: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 400,
  FORBIDDEN: 403,
  ORDER_NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  CONCURRENT_UPDATE: 409,
  VERSION_MISMATCH: 412,
  VERSION_AHEAD: 412,
  IDEMPOTENCY_KEY_REUSED: 422,
};

/** HTTP API lower-cases header names in payload format 2.0; look them up the same way. */
export const header = (event: APIGatewayProxyEventV2, name: string): string | undefined =>
  event.headers?.[name.toLowerCase()];

/**
 * The body as parsed JSON, after the size limit and the media type. An absent or empty body is
 * `undefined`; the caller decides whether that is allowed.
 */
export const readJsonBody = (event: APIGatewayProxyEventV2): unknown => {
  if (event.body === undefined || event.body === '') {
    return undefined;
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new HttpRequestError(413, 'PAYLOAD_TOO_LARGE', `The body is over ${MAX_BODY_BYTES} bytes.`);
  }
  const mediaType = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
    throw new HttpRequestError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json.');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new ValidationError([{ path: 'body', message: 'is not valid JSON' }], 'The body is not valid JSON.');
  }
};

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;

/**
 * The request's idempotency binding: the key, and a fingerprint of method, path and the body as
 * parsed (so insignificant whitespace or key order does not make "another body").
 */
export const readIdempotency = (event: APIGatewayProxyEventV2, body: unknown): IdempotencyRequest | undefined => {
  const key = header(event, 'idempotency-key');
  if (key === undefined) {
    return undefined;
  }
  if (!PRINTABLE_ASCII.test(key)) {
    throw new ValidationError([
      { path: 'headers.Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' },
    ]);
  }
  const fingerprint = createHash('sha256')
    .update(`${event.requestContext.http.method} ${event.rawPath}\n${canonicalJson(body ?? {})}`)
    .digest('base64url');
  return { key, fingerprint };
};

const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

/** `If-Match: "3"` (or `W/"3"`, or a bare 3) is version 3; `*` asks for no particular version. */
export const readIfMatch = (event: APIGatewayProxyEventV2): number | undefined => {
  const value = header(event, 'if-match')?.trim();
  if (value === undefined || value === '*') {
    return undefined;
  }
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value);
  if (match?.[1] === undefined || Number(match[1]) < 1) {
    throw new ValidationError([{ path: 'headers.If-Match', message: 'must be an ETag such as "3"' }]);
  }
  return Number(match[1]);
};

export const readMinVersion = (event: APIGatewayProxyEventV2): number | undefined => {
  const value = header(event, 'x-min-version')?.trim();
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) {
    throw new ValidationError([{ path: 'headers.X-Min-Version', message: 'must be a positive integer' }]);
  }
  return Number(value);
};

/** Order ids are server-made UUIDs; anything else cannot name an order, so it is not looked up. */

export const readOrderId = (event: APIGatewayProxyEventV2): string | undefined => {
  const id = event.pathParameters?.id;
  return id !== undefined && ORDER_ID_PATTERN.test(id) ? id : undefined;
};

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const orderResponse = (
  statusCode: number,
  order: Order,
  headers: Record<string, string> = {},
): HttpResponse => json(statusCode, order, { etag: `"${order.version}"`, ...headers });

export const errorResponse = (statusCode: number, code: string, message: string, details?: unknown): HttpResponse =>
  json(statusCode, { error: { code, message, ...(details === undefined ? {} : { details }) } });

/**
 * The one error mapper: domain errors and HTTP refusals become their 4xx (a request with no
 * caller, the gateway's own 401 body); anything else is logged
 * with its stack and answered with an opaque 500 that names nothing internal.
 */
export const toErrorResponse = (error: unknown, logger: Logger): HttpResponse => {
  if (error instanceof UnauthenticatedError) {
    // Behind the authorizer this cannot happen: a route without one is misconfigured.
    logger.error('Request without a usable caller: is the route behind the JWT authorizer?', { reason: error.message });
    return json(401, { message: 'Unauthorized' });
  }
  if (error instanceof HttpRequestError) {
    return errorResponse(error.statusCode, error.code, error.message);
  }
  if (error instanceof InvalidCursorError) {
    logger.info('Request refused', { code: 'VALIDATION_FAILED', reason: 'cursor' });
    return errorResponse(400, 'VALIDATION_FAILED', 'The cursor is not valid for this listing.', [
      { path: 'query.cursor', message: error.reason },
    ]);
  }
  if (error instanceof DomainError) {
    const status = DOMAIN_STATUS[error.code];
    if (status !== undefined) {
      logger.info('Request refused', { code: error.code });
      return errorResponse(status, error.code, error.message, domainDetails(error));
    }
  }
  logger.error('Unhandled error', error instanceof Error ? error : String(error));
  return errorResponse(500, 'INTERNAL_ERROR', 'The request could not be completed.');
};

const domainDetails = (error: DomainError): unknown => {
  if (error instanceof ValidationError) {
    return error.issues;
  }
  if ('currentVersion' in error) {
    return { currentVersion: error.currentVersion };
  }
  return undefined;
};

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

/** What every route is told about its request besides the event. */
export interface RequestInfo {
  /** See {@link readCorrelationId}. */
  readonly correlationId: string;
}

export const CORRELATION_ID_HEADER = 'x-correlation-id';

/** 1 to 128 characters of letters, digits and `.`, `_`, `:`, `-`: safe in logs, headers and JSON alike. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's correlation id: the client's `X-Correlation-Id` when it is well-formed (see
 * {@link CORRELATION_ID}), else the API's request id. A malformed one is not an error: it is
 * replaced, and the response header says by what.
 */
export const readCorrelationId = (event: APIGatewayProxyEventV2): string => {
  const given = header(event, CORRELATION_ID_HEADER);
  return given !== undefined && CORRELATION_ID.test(given) ? given : event.requestContext.requestId;
};

/**
 * Wraps a route: Lambda context and the correlation id in the logs, every throw through the one
 * error mapper, and the correlation id echoed on every answer, refusals and errors included.
 */
export const httpHandler =
  (logger: Logger, handle: (event: APIGatewayProxyEventV2, request: RequestInfo) => Promise<HttpResponse>): HttpHandler =>
  async (event, context) => {
    logger.addContext(context);
    const correlationId = readCorrelationId(event);
    logger.appendKeys({ route: event.routeKey, requestId: event.requestContext.requestId, correlationId });
    try {
      let response: HttpResponse;
      try {
        response = await handle(event, { correlationId });
      } catch (error: unknown) {
        response = toErrorResponse(error, logger);
      }
      return { ...response, headers: { ...response.headers, [CORRELATION_ID_HEADER]: correlationId } };
    } finally {
      logger.resetKeys();
    }
  };
