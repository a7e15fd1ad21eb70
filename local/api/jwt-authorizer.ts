/**
 * An HTTP API JWT authorizer's checks (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html)
 * and the local issuer that mints the tokens it accepts.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, type JWTPayload, SignJWT, decodeProtectedHeader, errors, exportJWK, generateKeyPair, jwtVerify } from 'jose';

/**
 * The local stack's stand-in for an HTTP API JWT authorizer: it issues tokens (an RS256 key pair
 * made at start) and checks them the way API Gateway checks its issuer's tokens, so a request the
 * deployed API would refuse with 401 is refused here too, before any function runs.
 */

/** The only algorithm the local issuer signs with; API Gateway accepts RSA-signed tokens only. */
const ALGORITHM = 'RS256';

/** The local issuer's key pair; `kid` names it in every token's header, as a JWKS would. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

export const createSigningKey = async (): Promise<SigningKey> => {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM);
  return { kid: randomUUID(), privateKey, publicKey };
};

/** What `POST /_local/token` takes. */
export interface TokenRequest {
  readonly sub: string;
  /** Staff tokens carry `cognito:groups: ["staff"]`, as a member of the user pool's staff group has. */
  readonly staff: boolean;
  readonly expiresInSeconds: number;
}

export interface LocalIssuer {
  /** The `iss` of its tokens, e.g. `http://127.0.0.1:3000/_local/issuer`. */
  readonly issuer: string;
  /** The `aud` of its tokens: every audience of the template's JWT authorizers, resolved locally. */
  readonly audience: readonly string[];
  readonly key: SigningKey;
  /** A token for a caller, as a user pool would issue one for a signed-in user. */
  mintToken(request: TokenRequest): Promise<string>;
  /** Signs any payload with the issuer's key as it is (no claims added): for tools and tests. */
  sign(payload: JWTPayload): Promise<string>;
  /** The public key set an OIDC issuer publishes at its `jwks_uri`. */
  jwks(): Promise<{ keys: JWK[] }>;
}

export const localIssuer = (key: SigningKey, issuer: string, audience: readonly string[]): LocalIssuer => {
  const sign = async (payload: JWTPayload): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
  return {
    issuer,
    audience,
    key,
    sign,
    mintToken: async ({ sub, staff, expiresInSeconds }) => {
      const now = Math.floor(Date.now() / 1000);
      return sign({
        iss: issuer,
        sub,
        ...(audience.length === 0 ? {} : { aud: audience.length === 1 ? audience[0] : [...audience] }),
        iat: now,
        exp: now + expiresInSeconds,
        jti: randomUUID(),
        token_use: 'access',
        ...(staff ? { 'cognito:groups': ['staff'] } : {}),
      });
    },
    jwks: async () => ({ keys: [{ ...(await exportJWK(key.publicKey)), kid: key.kid, alg: ALGORITHM, use: 'sig' }] }),
  };
};

/** What one route's authorizer checks: the issuer, the audiences it accepts, the route's scopes. */
export interface JwtRule {
  readonly issuer: string;
  readonly audience: readonly string[];
  /** The token must carry one of these (`scope` or `scp`); empty: any valid token. */
  readonly scopes: readonly string[];
}

/** The verified token as HTTP API hands it to the integration (`requestContext.authorizer.jwt`). */
export interface JwtContext {
  readonly claims: Record<string, string>;
  /** The token's scopes when the route names scopes; `null` otherwise, as API Gateway sends it. */
  readonly scopes: string[] | null;
}

export type JwtVerdict =
  | { readonly allowed: true; readonly jwt: JwtContext }
  | {
      readonly allowed: false;
      /** 401 for a missing or invalid token, 403 for a valid token without the route's scope. */
      readonly statusCode: 401 | 403;
      /** The `www-authenticate` header API Gateway sends with it, which says why. */
      readonly wwwAuthenticate: string;
    };

const refuse = (statusCode: 401 | 403, description: string, scopes: readonly string[]): JwtVerdict => ({
  allowed: false,
  statusCode,
  wwwAuthenticate: `Bearer scope="${scopes.join(' ')}" error="${statusCode === 401 ? 'invalid_token' : 'insufficient_scope'}" error_description="${description}"`,
});

/** The token in an identity source's value: the token alone, or after `Bearer `. */
export const tokenOf = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  if (trimmed === undefined || trimmed === '') return undefined;
  const bearer = /^bearer\s+(\S+)$/i.exec(trimmed);
  return bearer?.[1] ?? trimmed;
};

/**
 * Checks a token as an HTTP API JWT authorizer does: a key id the issuer publishes, an RSA
 * signature (never `alg: none`), `iss`, `aud` (or `client_id` when there is no `aud`), `exp`
 * in the future, `nbf` and `iat` not in the future, and one of the route's scopes if it names any.
 */
export const verifyJwt = async (
  token: string | undefined,
  key: Pick<SigningKey, 'kid' | 'publicKey'>,
  rule: JwtRule,
  now: Date = new Date(),
): Promise<JwtVerdict> => {
  if (token === undefined) return refuse(401, 'the request has no token', rule.scopes);
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return refuse(401, 'the token is malformed', rule.scopes);
  }
  if (kid !== key.kid) return refuse(401, 'the token has no key id the issuer publishes', rule.scopes);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [ALGORITHM],
      issuer: rule.issuer,
      requiredClaims: ['exp'],
      currentDate: now,
    }));
  } catch (error: unknown) {
    return refuse(401, describe(error), rule.scopes);
  }
  if (typeof payload.iat === 'number' && payload.iat > Math.floor(now.getTime() / 1000)) {
    return refuse(401, 'the token was issued in the future', rule.scopes);
  }
  const audiences = payload.aud === undefined ? [payload.client_id] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.some((audience) => typeof audience === 'string' && rule.audience.includes(audience))) {
    return refuse(401, 'the token does not have a valid audience', rule.scopes);
  }
  const tokenScopes = scopesOf(payload);
  if (rule.scopes.length > 0 && !rule.scopes.some((scope) => tokenScopes.includes(scope))) {
    return refuse(403, 'the token does not have a scope of the route', rule.scopes);
  }
  return { allowed: true, jwt: { claims: flattenClaims(payload), scopes: rule.scopes.length > 0 ? tokenScopes : null } };
};

const describe = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'iss' ? 'the token does not have a valid issuer' : `the token's ${error.claim} claim is not valid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with RS256';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  return 'the token is not valid';
};

/** `scp` (a list or a space-separated string), else `scope` (space-separated). */
const scopesOf = (payload: JWTPayload): string[] => {
  const raw = payload.scp ?? payload.scope;
  if (Array.isArray(raw)) return raw.filter((scope): scope is string => typeof scope === 'string');
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
};

/**
 * Claims as HTTP API (payload 2.0) passes them: every value a string; numbers and booleans as
 * their text; a list in brackets, its items separated by spaces (`["staff","admins"]` ->
 * `"[staff admins]"`); an object as JSON text; a null claim left out.
 */
export const flattenClaims = (payload: Record<string, unknown>): Record<string, string> => {
  const text = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return `[${value.map(text).join(' ')}]`;
    if (typeof value === 'object' && value !== null) return JSON.stringify(value);
    return String(value);
  };
  return Object.fromEntries(
    Object.entries(payload)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([name, value]) => [name, text(value)]),
  );
};
