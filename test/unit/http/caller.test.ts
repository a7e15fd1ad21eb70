import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/domain/errors';
import {
  ANONYMOUS_STAFF,
  UnauthenticatedError,
  callerReader,
  readJwtCaller,
  requestedCustomer,
} from '../../../lambdas/http/caller';
import { toErrorResponse } from '../../../lambdas/http/http';

const withJwt = (claims: Record<string, unknown>, scopes: unknown = null): APIGatewayProxyEventV2 =>
  ({ headers: {}, requestContext: { http: { method: 'GET' }, authorizer: { jwt: { claims, scopes } } } }) as unknown as APIGatewayProxyEventV2;

const withoutAuthorizer = { headers: {}, requestContext: { http: { method: 'GET' } } } as unknown as APIGatewayProxyEventV2;

describe('readJwtCaller', () => {
  it('takes the sub claim as the caller, a customer by default', () => {
    expect(readJwtCaller(withJwt({ sub: 'c-1' }))).toEqual({ sub: 'c-1', staff: false });
  });

  it.each([
    ['flattened by API Gateway', '[staff admins]'],
    ['flattened, alone', '[staff]'],
    ['as a JSON array', '["admins","staff"]'],
    ['as a real array', ['admins', 'staff']],
    ['as a bare value', 'staff'],
  ])('makes a member of the staff group (%s) staff', (_, groups) => {
    expect(readJwtCaller(withJwt({ sub: 's-1', 'cognito:groups': groups }))).toEqual({ sub: 's-1', staff: true });
  });

  it.each([
    ['a group merely containing the word', '[staffers admins]'],
    ['a group named like it', '[not-staff]'],
    ['no group at all', '[]'],
    ['a number', 7],
  ])('keeps a caller with %s a customer', (_, groups) => {
    expect(readJwtCaller(withJwt({ sub: 'c-1', 'cognito:groups': groups })).staff).toBe(false);
  });

  it('makes a caller whose scopes hold orders/staff staff', () => {
    expect(readJwtCaller(withJwt({ sub: 'app-1' }, ['orders/read', 'orders/staff'])).staff).toBe(true);
  });

  it('makes a caller whose space-separated scope claim holds orders/staff staff', () => {
    expect(readJwtCaller(withJwt({ sub: 'app-1', scope: 'openid orders/staff' })).staff).toBe(true);
  });

  it('keeps a caller with other scopes a customer', () => {
    expect(readJwtCaller(withJwt({ sub: 'app-1', scope: 'orders/staffing' }, ['staff'])).staff).toBe(false);
  });

  it('refuses a request without the JWT authorizer context', () => {
    expect(() => readJwtCaller(withoutAuthorizer)).toThrow(UnauthenticatedError);
  });

  it.each([
    ['no sub', {}],
    ['an empty sub', { sub: '' }],
    ['a sub that is not a string', { sub: 42 }],
    ['a sub over 255 characters', { sub: 'x'.repeat(256) }],
    ['a sub with a control character', { sub: 'c-1\n' }],
  ])('refuses claims with %s', (_, claims) => {
    expect(() => readJwtCaller(withJwt(claims))).toThrow(UnauthenticatedError);
  });
});

describe('callerReader', () => {
  it('reads the claims with AUTH_MODE jwt', () => {
    expect(callerReader('jwt')(withJwt({ sub: 'c-1' }))).toEqual({ sub: 'c-1', staff: false });
  });

  it('treats every request as staff with AUTH_MODE none, claims or not', () => {
    expect(callerReader('none')(withoutAuthorizer)).toEqual(ANONYMOUS_STAFF);
    expect(callerReader('none')(withJwt({ sub: 'c-1' }))).toEqual({ sub: '', staff: true });
  });
});

describe('requestedCustomer', () => {
  it("is the customer's own sub when they name none", () => {
    expect(requestedCustomer({ sub: 'c-1', staff: false }, undefined, 'body.customerId')).toBe('c-1');
  });

  it('is the customer named, whoever names it (the use case decides whether they may)', () => {
    expect(requestedCustomer({ sub: 'c-1', staff: false }, 'c-2', 'body.customerId')).toBe('c-2');
  });

  it('refuses staff who name no customer with a validation problem at the path', () => {
    const error = (() => {
      try {
        return requestedCustomer({ sub: 's-1', staff: true }, undefined, 'query.customerId');
      } catch (caught: unknown) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'query.customerId', message: 'is required when staff call' }]);
  });
});

describe('toErrorResponse for a request without a caller', () => {
  it("answers the gateway's own 401 body", () => {
    const response = toErrorResponse(new UnauthenticatedError('no sub'), new Logger({ logLevel: 'SILENT' }));

    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ message: 'Unauthorized' });
  });
});
