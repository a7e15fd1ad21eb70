import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import type { LocalIssuer } from '../../local/api/jwt-authorizer';

/** A request's `Authorization` header, or none. */
export interface BadToken {
  readonly name: string;
  readonly authorization: string | undefined;
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The tokens API Gateway refuses with 401, made against a local issuer: none at all, one that is
 * not a JWT, a forged signature (another key under the issuer's key id), `alg: none`, an
 * expired one, and the issuer's own key signing for another issuer or another audience.
 */
export const badTokens = async (issuer: LocalIssuer): Promise<BadToken[]> => {
  const valid = await issuer.mintToken({ sub: 'c-1', staff: true, expiresInSeconds: 600 });
  const claims = decodeJwt(valid);
  const now = Math.floor(Date.now() / 1000);
  const intruder = await generateKeyPair('RS256');
  const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: issuer.key.kid, typ: 'JWT' }).sign(intruder.privateKey);
  const unsigned = `${base64url({ alg: 'none', kid: issuer.key.kid, typ: 'JWT' })}.${base64url(claims)}.`;
  return [
    { name: 'no token', authorization: undefined },
    { name: 'a token that is not a JWT', authorization: 'Bearer not-a-jwt' },
    { name: 'a forged signature', authorization: `Bearer ${forged}` },
    { name: 'an unsigned token (alg: none)', authorization: `Bearer ${unsigned}` },
    { name: 'an expired token', authorization: `Bearer ${await issuer.sign({ ...claims, iat: now - 7200, exp: now - 3600 })}` },
    {
      name: "another issuer's token",
      authorization: `Bearer ${await issuer.sign({ ...claims, iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' })}`,
    },
    { name: 'a token for another audience', authorization: `Bearer ${await issuer.sign({ ...claims, aud: 'someone-else' })}` },
  ];
};
