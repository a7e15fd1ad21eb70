import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type JwtRule,
  type LocalIssuer,
  type SigningKey,
  createSigningKey,
  flattenClaims,
  localIssuer,
  tokenOf,
  verifyJwt,
} from '../../../local/api/jwt-authorizer';

const ISSUER = 'http://127.0.0.1:3000/_local/issuer';
const RULE: JwtRule = { issuer: ISSUER, audience: ['client-1'], scopes: [] };
const NOW = Math.floor(Date.now() / 1000);

let key: SigningKey;
let issuer: LocalIssuer;

beforeAll(async () => {
  key = await createSigningKey();
  issuer = localIssuer(key, ISSUER, ['client-1']);
});

const claims = (overrides: Record<string, unknown> = {}) => ({ iss: ISSUER, sub: 'c-1', aud: 'client-1', iat: NOW, exp: NOW + 600, ...overrides });
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('verifyJwt', () => {
  it('lets a token of the issuer through with its claims as HTTP API passes them, and null scopes on a route without scopes', async () => {
    const token = await issuer.sign(claims({ 'cognito:groups': ['staff', 'admins'] }));

    const verdict = await verifyJwt(token, key, RULE);

    expect(verdict).toEqual({
      allowed: true,
      jwt: {
        claims: { iss: ISSUER, sub: 'c-1', aud: 'client-1', iat: String(NOW), exp: String(NOW + 600), 'cognito:groups': '[staff admins]' },
        scopes: null,
      },
    });
  });

  it.each([
    ['no token', undefined, 'the request has no token'],
    ['a token that is not a JWT', 'not-a-jwt', 'the token is malformed'],
  ])('refuses %s with 401', async (_, token, description) => {
    const verdict = await verifyJwt(token, key, RULE);

    expect(verdict).toMatchObject({ allowed: false, statusCode: 401, wwwAuthenticate: expect.stringContaining(description) });
  });

  it("refuses a token signed by another key under the issuer's key id (forged)", async () => {
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(other.privateKey);

    expect(await verifyJwt(forged, key, RULE)).toMatchObject({ allowed: false, statusCode: 401, wwwAuthenticate: expect.stringContaining('signature') });
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const unsigned = `${base64url({ alg: 'none', kid: key.kid, typ: 'JWT' })}.${base64url(claims())}.`;

    expect(await verifyJwt(unsigned, key, RULE)).toMatchObject({ allowed: false, statusCode: 401, wwwAuthenticate: expect.stringContaining('RS256') });
  });

  it('refuses a token signed with a shared secret (HS256) under the issuer key id', async () => {
    const hmac = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode('k'.repeat(32)));

    expect(await verifyJwt(hmac, key, RULE)).toMatchObject({ allowed: false, statusCode: 401 });
  });

  it('refuses a token whose signature was kept while its claims were changed', async () => {
    const [header, , signature] = (await issuer.sign(claims())).split('.');
    const tampered = `${header}.${base64url(claims({ sub: 'c-2' }))}.${signature}`;

    expect(await verifyJwt(tampered, key, RULE)).toMatchObject({ allowed: false, statusCode: 401 });
  });

  it('refuses a token without a key id, or with one the issuer does not publish', async () => {
    const withoutKid = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(key.privateKey);
    const otherKid = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'other' }).sign(key.privateKey);

    expect(await verifyJwt(withoutKid, key, RULE)).toMatchObject({ allowed: false, statusCode: 401 });
    expect(await verifyJwt(otherKid, key, RULE)).toMatchObject({ allowed: false, statusCode: 401 });
  });

  it('refuses an expired token, and one without exp', async () => {
    const expired = await issuer.sign(claims({ iat: NOW - 3600, exp: NOW - 1 }));
    const { exp: _, ...noExp } = claims();

    expect(await verifyJwt(expired, key, RULE)).toMatchObject({ allowed: false, statusCode: 401, wwwAuthenticate: expect.stringContaining('expired') });
    expect(await verifyJwt(await issuer.sign(noExp), key, RULE)).toMatchObject({ allowed: false, statusCode: 401 });
  });

  it('refuses a token not valid yet (nbf) or issued in the future (iat)', async () => {
    expect(await verifyJwt(await issuer.sign(claims({ nbf: NOW + 300 })), key, RULE)).toMatchObject({ allowed: false, statusCode: 401 });
    expect(await verifyJwt(await issuer.sign(claims({ iat: NOW + 300 })), key, RULE)).toMatchObject({ allowed: false, statusCode: 401 });
  });

  it('refuses a token from another issuer', async () => {
    const token = await issuer.sign(claims({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other' }));

    expect(await verifyJwt(token, key, RULE)).toMatchObject({ allowed: false, statusCode: 401, wwwAuthenticate: expect.stringContaining('issuer') });
  });

  it('refuses a token for another audience', async () => {
    const token = await issuer.sign(claims({ aud: ['client-2', 'client-3'] }));

    expect(await verifyJwt(token, key, RULE)).toMatchObject({ allowed: false, statusCode: 401, wwwAuthenticate: expect.stringContaining('audience') });
  });

  it('takes client_id as the audience when there is no aud (a Cognito access token), and aud over client_id when both are there', async () => {
    const { aud: _, ...accessToken } = claims({ client_id: 'client-1' });

    expect(await verifyJwt(await issuer.sign(accessToken), key, RULE)).toMatchObject({ allowed: true });
    expect(await verifyJwt(await issuer.sign(claims({ aud: 'client-9', client_id: 'client-1' })), key, RULE)).toMatchObject({ allowed: false });
  });

  it("answers 403 when the route names scopes the token has none of, and passes the token's scopes when it has one", async () => {
    const rule = { ...RULE, scopes: ['orders/staff'] };

    const without = await verifyJwt(await issuer.sign(claims({ scope: 'orders/read' })), key, rule);
    const withScope = await verifyJwt(await issuer.sign(claims({ scope: 'orders/read orders/staff' })), key, rule);
    const withScp = await verifyJwt(await issuer.sign(claims({ scp: ['orders/staff'] })), key, rule);

    expect(without).toMatchObject({ allowed: false, statusCode: 403, wwwAuthenticate: expect.stringContaining('insufficient_scope') });
    expect(withScope).toMatchObject({ allowed: true, jwt: { scopes: ['orders/read', 'orders/staff'] } });
    expect(withScp).toMatchObject({ allowed: true, jwt: { scopes: ['orders/staff'] } });
  });
});

describe('tokenOf', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer   abc.def.ghi', 'abc.def.ghi'],
    ['abc.def.ghi', 'abc.def.ghi'],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (value, expected) => {
    expect(tokenOf(value)).toBe(expected);
  });
});

describe('flattenClaims', () => {
  it('passes every claim as a string: numbers and booleans as text, lists in brackets, objects as JSON, nulls left out', () => {
    expect(flattenClaims({ sub: 'c-1', exp: 1787996002, email_verified: true, 'cognito:groups': ['staff'], address: { country: 'FR' }, nickname: null })).toEqual({
      sub: 'c-1',
      exp: '1787996002',
      email_verified: 'true',
      'cognito:groups': '[staff]',
      address: '{"country":"FR"}',
    });
  });
});

describe('the local issuer', () => {
  it('mints a customer token: its sub, the issuer, the audience, an hour by default, RS256 under its key id', async () => {
    const token = await issuer.mintToken({ sub: 'c-7', staff: false, expiresInSeconds: 3600 });
    const payload = decodeJwt(token);

    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: key.kid });
    expect(payload).toMatchObject({ sub: 'c-7', iss: ISSUER, aud: 'client-1' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(payload['cognito:groups']).toBeUndefined();
    expect(await verifyJwt(token, key, RULE)).toMatchObject({ allowed: true });
  });

  it('mints a staff token in the staff group, which reaches the function as "[staff]"', async () => {
    const token = await issuer.mintToken({ sub: 'ops-1', staff: true, expiresInSeconds: 60 });

    expect(decodeJwt(token)['cognito:groups']).toEqual(['staff']);
    expect(await verifyJwt(token, key, RULE)).toMatchObject({ allowed: true, jwt: { claims: { 'cognito:groups': '[staff]' } } });
  });

  it('names every audience when the template has several, so one token passes each authorizer', async () => {
    const several = localIssuer(key, ISSUER, ['client-1', 'partner-api']);

    expect(decodeJwt(await several.mintToken({ sub: 'c-1', staff: false, expiresInSeconds: 60 })).aud).toEqual(['client-1', 'partner-api']);
  });

  it('publishes its public key as a JWKS', async () => {
    const { keys } = await issuer.jwks();

    expect(keys).toEqual([expect.objectContaining({ kty: 'RSA', kid: key.kid, alg: 'RS256', use: 'sig' })]);
    expect(keys[0]).not.toHaveProperty('d');
  });
});
