/**
 * A route's JWT authorizer, as API Gateway's HTTP API runs it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):
 * the token from the identity source, checked against the local issuer (which stands in for the
 * template's) and the authorizer's audience; `401 {"message":"Unauthorized"}` (or
 * `403 {"message":"Forbidden"}` without the route's scope) before the function runs. Until the
 * API listens the issuer has no URL and every token is refused.
 */
import type { IdentitySource, RouteAuthorization } from '../model/http-api';
import type { RouteAuthorizer } from './http-api';
import { type SigningKey, tokenOf, verifyJwt } from './jwt-authorizer';

export const jwtRouteAuthorizer =
  (
    key: SigningKey,
    issuerUrl: () => string | undefined,
    audience: readonly string[],
    rule: RouteAuthorization,
    source: IdentitySource,
  ): RouteAuthorizer =>
  async ({ headers, queryStringParameters }) => {
    const issuer = issuerUrl();
    const value = source.in === 'header' ? headers[source.name] : queryStringParameters[source.name];
    const verdict =
      issuer === undefined
        ? ({ allowed: false, statusCode: 401, wwwAuthenticate: 'Bearer error="invalid_token"' } as const)
        : await verifyJwt(tokenOf(value), key, { issuer, audience, scopes: rule.scopes });
    if (verdict.allowed) return { allow: true, authorizer: { jwt: verdict.jwt } };
    return {
      allow: false,
      response: {
        statusCode: verdict.statusCode,
        headers: { 'content-type': 'application/json', 'www-authenticate': verdict.wwwAuthenticate },
        body: JSON.stringify({ message: verdict.statusCode === 401 ? 'Unauthorized' : 'Forbidden' }),
      },
    };
  };
