import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalFaults } from '../../local/apps/orders';
import { startOrdersStack } from '../../local/apps/orders-stack';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { UnsupportedAuthorizerError } from '../../local/model';
import { synthesizeAuthApp } from '../support/auth-app';
import { uniquePrefix } from '../support/dynamodb';
import { rawRequest } from '../support/raw-http';
import { type BadToken, badTokens } from '../support/tokens';

/**
 * The local stack's JWT authorizers, token minting and admin-route guards, on a small CDK app
 * with an `HttpUserPoolAuthorizer` as the API's default, a route with its own
 * `HttpJwtAuthorizer` and a scope, and an open route (see test/support/auth-app.ts).
 */
const app = synthesizeAuthApp();
let stack: LocalStack<LocalFaults>;
let bad: BadToken[];

beforeAll(async () => {
  stack = await startOrdersStack({
    port: 0,
    assembly: app,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tablePrefix: uniquePrefix(),
    log: () => undefined,
  });
  bad = await badTokens(stack.issuer);
});

afterAll(async () => {
  await stack?.close();
  app.remove();
});

interface Echo {
  readonly routeKey: string;
  readonly authorizer: { jwt: { claims: Record<string, string>; scopes: string[] | null } } | null;
}

const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${stack.url}${path}`, { method, headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
};

const mint = async (body: unknown, contentType = 'application/json') => {
  const response = await fetch(`${stack.url}/_local/token`, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const bearer = async (request: { sub: string; staff?: boolean }): Promise<Record<string, string>> => ({
  authorization: `Bearer ${(await mint(request)).body.token as string}`,
});

const echoInvocations = (): number => stack.functions.get('echo')?.invocations ?? -1;

describe('a JWT authorizer read from the template', () => {
  const routes = [
    ['GET', '/things'],
    ['POST', '/things'],
    ['GET', '/things/t-1'],
    ['GET', '/partners'],
  ] as const;

  it.each(routes)('answers 401 {"message":"Unauthorized"} on %s %s to every refused token, and runs no function', async (method, path) => {
    const before = echoInvocations();

    for (const { name, authorization } of bad) {
      const result = await call(method, path, authorization === undefined ? {} : { authorization });

      expect({ name, status: result.status, body: result.body }).toEqual({ name, status: 401, body: { message: 'Unauthorized' } });
      expect(result.headers.get('www-authenticate')).toContain('invalid_token');
    }
    expect(echoInvocations()).toBe(before);
  });

  it("lets a minted token through: the function gets its claims as HTTP API flattens them, and null scopes on a route without scopes", async () => {
    const result = await call('GET', '/things/t-1', await bearer({ sub: 'ops-1', staff: true }));

    const { authorizer } = result.body as Echo;
    expect(result.status).toBe(200);
    expect(authorizer?.jwt.scopes).toBeNull();
    expect(authorizer?.jwt.claims).toMatchObject({ sub: 'ops-1', iss: stack.issuer.issuer, 'cognito:groups': '[staff]', exp: expect.stringMatching(/^\d+$/) });
  });

  it('takes the token with or without "Bearer "', async () => {
    const { authorization } = await bearer({ sub: 'c-1' });

    expect((await call('GET', '/things', { authorization: authorization?.replace('Bearer ', '') ?? '' })).status).toBe(200);
    expect((await call('GET', '/things', { authorization: authorization ?? '' })).status).toBe(200);
  });

  it('answers 403 {"message":"Forbidden"} on a route whose scopes the token lacks, and passes the scopes when it has one', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: stack.issuer.issuer, sub: 'p-1', aud: 'partner-api', iat: now, exp: now + 300 };

    const without = await call('GET', '/partners', { authorization: `Bearer ${await stack.issuer.sign({ ...claims, scope: 'partners/write' })}` });
    const withScope = await call('GET', '/partners', { authorization: `Bearer ${await stack.issuer.sign({ ...claims, scope: 'partners/read' })}` });

    expect(without).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
    expect(withScope.status).toBe(200);
    expect((withScope.body as Echo).authorizer?.jwt.scopes).toEqual(['partners/read']);
  });

  it("checks each route against its own authorizer's audience", async () => {
    const now = Math.floor(Date.now() / 1000);
    const partnerOnly = await stack.issuer.sign({ iss: stack.issuer.issuer, sub: 'p-1', aud: 'partner-api', iat: now, exp: now + 300 });

    expect((await call('GET', '/things', { authorization: `Bearer ${partnerOnly}` })).status).toBe(401);
  });

  it('leaves a route without an authorizer open, as on AWS', async () => {
    const result = await call('GET', '/open');

    expect(result.status).toBe(200);
    expect((result.body as Echo).authorizer).toBeNull();
  });

  it('refuses to start on a template whose routes need an authorization it does not emulate, before starting anything', async () => {
    const template = {
      Resources: { Route: { Type: 'AWS::ApiGatewayV2::Route', Properties: { RouteKey: 'GET /x', AuthorizationType: 'AWS_IAM' } } },
    };

    await expect(startLocalStack({ port: 0, assembly: { dir: app.dir, template, reused: true }, log: () => undefined })).rejects.toThrow(
      UnsupportedAuthorizerError,
    );
  });
});

describe('POST /_local/token', () => {
  it("mints a token that the issuer's published keys verify, for the caller, the local issuer and the authorizers' audiences", async () => {
    const minted = await mint({ sub: 'c-9', staff: false, expiresInSeconds: 120 });
    const discovery = (await call('GET', '/_local/issuer/.well-known/openid-configuration')).body as { issuer: string; jwks_uri: string };

    const { payload } = await jwtVerify(minted.body.token as string, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: discovery.issuer });

    expect(minted.status).toBe(200);
    expect(discovery.issuer).toBe(`${stack.url}/_local/issuer`);
    expect(payload).toMatchObject({ sub: 'c-9', aud: expect.arrayContaining(['partner-api']) });
    expect(payload['cognito:groups']).toBeUndefined();
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
  });

  it('puts a staff token in the staff group', async () => {
    const minted = await mint({ sub: 'ops-1', staff: true });

    const result = await call('GET', '/things', { authorization: `Bearer ${minted.body.token as string}` });

    expect((result.body as Echo).authorizer?.jwt.claims['cognito:groups']).toBe('[staff]');
  });

  it.each([
    ['no sub', {}, 'sub'],
    ['an empty sub', { sub: '' }, 'sub'],
    ['a staff flag that is not a boolean', { sub: 'c-1', staff: 'yes' }, 'staff'],
    ['a lifetime of 0 seconds', { sub: 'c-1', expiresInSeconds: 0 }, 'expiresInSeconds'],
    ['a lifetime that is not an integer', { sub: 'c-1', expiresInSeconds: 1.5 }, 'expiresInSeconds'],
    ['an unknown field', { sub: 'c-1', scope: 'orders/staff' }, ''],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_, body, path) => {
    const result = await mint(body);

    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path })] } });
  });
});

describe('the admin routes', () => {
  it.each([
    ['PUT', '/_local/faults', JSON.stringify({ relayPaused: true })],
    ['POST', '/_local/token', JSON.stringify({ sub: 'c-1' })],
    ['POST', '/_local/functions/echo/invoke', '{}'],
  ])('refuse a text/plain %s %s (what a web page may send anywhere) with 415, and do nothing', async (method, path, body) => {
    const before = echoInvocations();
    const faults = { ...stack.faults };

    const result = await rawRequest(stack.url, { method, path, body, headers: { 'content-type': 'text/plain' } });

    expect(result).toEqual({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) } } });
    expect(echoInvocations()).toBe(before);
    expect(stack.faults).toEqual(faults);
  });

  it('refuse a change sent without a content type, even without a body', async () => {
    const before = echoInvocations();

    const result = await rawRequest(stack.url, { method: 'POST', path: '/_local/functions/echo/invoke' });

    expect(result.status).toBe(415);
    expect(echoInvocations()).toBe(before);
  });

  it('take application/json with a charset', async () => {
    const result = await mint({ sub: 'c-1' }, 'application/json; charset=utf-8');

    expect(result.status).toBe(200);
  });

  it.each([
    ['a foreign name (DNS rebinding)', (port: string) => `attacker.example:${port}`],
    ['a name that resolves to 127.0.0.1', (port: string) => `127.0.0.1.nip.io:${port}`],
    ['another port', () => '127.0.0.1:1'],
    ['no port', () => 'localhost'],
  ])('refuse a Host header with %s with 403, before doing anything', async (_, host) => {
    const { port } = new URL(stack.url);

    const read = await rawRequest(stack.url, { method: 'GET', path: '/_local/events', headers: { host: host(port) } });
    const change = await rawRequest(stack.url, {
      method: 'POST',
      path: '/_local/token',
      headers: { host: host(port), 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'c-1' }),
    });

    expect(read).toEqual({ status: 403, body: { error: { code: 'FORBIDDEN', message: expect.stringContaining('localhost, 127.0.0.1 or [::1]') } } });
    expect(change.status).toBe(403);
  });

  it.each(['localhost', '127.0.0.1', '[::1]', 'LOCALHOST'])('answer a Host header of %s with the port', async (name) => {
    const { port } = new URL(stack.url);

    const result = await rawRequest(stack.url, { method: 'GET', path: '/_local/health', headers: { host: `${name}:${port}` } });

    expect(result.status).toBe(200);
  });
});
