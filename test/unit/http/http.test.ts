import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ConcurrentUpdateError } from '../../../lambdas/domain/errors';
import { httpHandler, json, readCorrelationId, readIdempotency, readIfMatch, toErrorResponse } from '../../../lambdas/http/http';

const logger = new Logger({ logLevel: 'SILENT' });

const event = (headers: Record<string, string>, method = 'POST', path = '/orders'): APIGatewayProxyEventV2 =>
  ({ headers, rawPath: path, requestContext: { http: { method } } }) as unknown as APIGatewayProxyEventV2;

describe('toErrorResponse', () => {
  it('maps a concurrent-update loss to 409 CONCURRENT_UPDATE', () => {
    const response = toErrorResponse(new ConcurrentUpdateError('o-1', 6), logger);

    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'CONCURRENT_UPDATE' } });
  });

  it('answers anything unknown with an opaque 500 that names nothing internal', () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'Item') at DynamoOrderRepository");

    const response = toErrorResponse(error, logger);

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'INTERNAL_ERROR', message: 'The request could not be completed.' },
    });
  });
});

describe('readIfMatch', () => {
  it.each([
    ['"3"', 3],
    ['W/"3"', 3],
    ['3', 3],
    ['*', undefined],
  ])('reads %s as %s', (value, expected) => {
    expect(readIfMatch(event({ 'if-match': value }))).toBe(expected);
  });

  it.each(['"0"', '"abc"', '"3", "4"', ''])('refuses %j', (value) => {
    expect(() => readIfMatch(event({ 'if-match': value }))).toThrow(/If-Match|request/);
  });
});

describe('readIdempotency', () => {
  it('binds a key to method, path and body, ignoring key order', () => {
    const a = readIdempotency(event({ 'idempotency-key': 'k' }), { a: 1, b: [1, { c: 2, d: 3 }] });
    const b = readIdempotency(event({ 'idempotency-key': 'k' }), { b: [1, { d: 3, c: 2 }], a: 1 });
    const otherPath = readIdempotency(event({ 'idempotency-key': 'k' }, 'POST', '/orders/x/confirm'), { a: 1, b: [1, { c: 2, d: 3 }] });
    const otherBody = readIdempotency(event({ 'idempotency-key': 'k' }), { a: 2, b: [1, { c: 2, d: 3 }] });

    expect(a?.fingerprint).toBe(b?.fingerprint);
    expect(otherPath?.fingerprint).not.toBe(a?.fingerprint);
    expect(otherBody?.fingerprint).not.toBe(a?.fingerprint);
  });

  it('treats an absent body and an empty object as the same body', () => {
    expect(readIdempotency(event({ 'idempotency-key': 'k' }), undefined)?.fingerprint).toBe(
      readIdempotency(event({ 'idempotency-key': 'k' }), {})?.fingerprint,
    );
  });
});

describe('correlation ids', () => {
  const requestId = 'Jw9Xyi4LIAMEbVQ=';
  const withRequestId = (headers: Record<string, string>): APIGatewayProxyEventV2 =>
    ({ headers, rawPath: '/orders', routeKey: 'POST /orders', requestContext: { requestId, http: { method: 'POST' } } }) as unknown as APIGatewayProxyEventV2;
  const context = { functionName: 'f', awsRequestId: 'r' } as unknown as Context;

  it.each(['req-42', 'a', 'trace:2026.11.27_A-b', 'x'.repeat(128)])('takes the client’s well-formed X-Correlation-Id %s', (id) => {
    expect(readCorrelationId(withRequestId({ 'x-correlation-id': id }))).toBe(id);
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['with a space', 'req 42'],
    ['with a slash', 'req/42'],
    ['not ASCII', 'reqé'],
  ])('replaces a malformed X-Correlation-Id (%s) with the request id, without refusing the request', (_name, id) => {
    expect(readCorrelationId(withRequestId({ 'x-correlation-id': id }))).toBe(requestId);
  });

  it('uses the request id when there is no X-Correlation-Id', () => {
    expect(readCorrelationId(withRequestId({}))).toBe(requestId);
  });

  it('echoes the correlation id on a success and hands it to the route', async () => {
    let seen: string | undefined;
    const handler = httpHandler(logger, async (_event, { correlationId }) => {
      seen = correlationId;
      return json(200, {});
    });

    const response = await handler(withRequestId({ 'x-correlation-id': 'req-42' }), context);

    expect(seen).toBe('req-42');
    expect(response.headers['x-correlation-id']).toBe('req-42');
  });

  it.each([
    ['a domain refusal', new ConcurrentUpdateError('o-1', 6), 409],
    ['an unknown failure', new TypeError('boom'), 500],
  ])('echoes the correlation id on %s', async (_name, error, status) => {
    const handler = httpHandler(logger, async () => {
      throw error;
    });

    const response = await handler(withRequestId({ 'x-correlation-id': 'req-42' }), context);

    expect(response.statusCode).toBe(status);
    expect(response.headers['x-correlation-id']).toBe('req-42');
  });

  it('echoes the request id that replaced a malformed one, on a refusal too', async () => {
    const handler = httpHandler(logger, async () => {
      throw new ConcurrentUpdateError('o-1', 6);
    });

    const response = await handler(withRequestId({ 'x-correlation-id': 'no spaces allowed' }), context);

    expect(response.headers['x-correlation-id']).toBe(requestId);
  });

  it('keeps the correlation id out of the idempotency fingerprint', () => {
    const a = readIdempotency(event({ 'idempotency-key': 'k', 'x-correlation-id': 'first' }), { a: 1 });
    const b = readIdempotency(event({ 'idempotency-key': 'k', 'x-correlation-id': 'retry' }), { a: 1 });

    expect(a).toEqual(b);
  });
});
