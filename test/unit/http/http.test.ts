import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ConcurrentUpdateError } from '../../../lambdas/domain/errors';
import { readIdempotency, readIfMatch, toErrorResponse } from '../../../lambdas/http/http';

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
