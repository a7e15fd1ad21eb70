import { Token } from 'aws-cdk-lib';

/** An OpenID Connect issuer the HTTP API's JWT authorizer trusts instead of the stack's user pool. */
export interface JwtIssuerAuth {
  /**
   * The issuer URL, exactly as the tokens' `iss` claim says it (HTTPS; API Gateway reads its
   * `/.well-known/openid-configuration` for the signing keys).
   */
  readonly issuer: string;
  /** Accepted `aud` (or `client_id`) values; a token must carry at least one of them. */
  readonly audience: string[];
}

/**
 * Who may call the Orders API:
 * - `'cognito'`: a user pool this stack creates (with a `staff` group) issues the tokens;
 * - `{ issuer, audience }`: any OpenID Connect issuer you name;
 * - `'none'`: no authorizer. Anyone who can reach the API can read and change every order; the
 *   functions then treat every request as staff. For local experiments only; synth warns.
 */
export type OrdersApiAuth = 'cognito' | 'none' | JwtIssuerAuth;

/** What the order functions are told in `AUTH_MODE`: whether a verified caller stands behind each request. */
export type AuthMode = 'jwt' | 'none';

/** The CDK context keys `bin/app.ts` reads the API's authentication from. */
export const AUTH_CONTEXT = { mode: 'auth', issuer: 'authIssuer', audience: 'authAudience' } as const;

/**
 * The API's authentication from CDK context: nothing (the stack's Cognito user pool),
 * `-c auth=none`, or `-c authIssuer=https://... -c authAudience=a,b`. Anything else fails the
 * synth with the fix in the message, so a typo never deploys an open API.
 */
export const authFromContext = (tryGetContext: (key: string) => unknown): OrdersApiAuth => {
  const mode = tryGetContext(AUTH_CONTEXT.mode);
  const issuer = tryGetContext(AUTH_CONTEXT.issuer);
  const audience = tryGetContext(AUTH_CONTEXT.audience);
  const hasIssuer = issuer !== undefined && issuer !== '';
  const hasAudience = audience !== undefined && audience !== '';

  if (mode !== undefined && mode !== 'none' && mode !== 'cognito') {
    throw new Error(
      `Context ${AUTH_CONTEXT.mode}=${JSON.stringify(mode)} is not a mode. Leave it unset (or "cognito") for the stack's user pool, ` +
        `pass -c ${AUTH_CONTEXT.mode}=none for an open API, or name an issuer with -c ${AUTH_CONTEXT.issuer}=https://... -c ${AUTH_CONTEXT.audience}=a,b.`,
    );
  }
  if (mode !== undefined && (hasIssuer || hasAudience)) {
    throw new Error(
      `Context ${AUTH_CONTEXT.mode}=${String(mode)} cannot be combined with ${AUTH_CONTEXT.issuer}/${AUTH_CONTEXT.audience}: ` +
        `drop -c ${AUTH_CONTEXT.mode} to use your issuer, or drop the issuer settings.`,
    );
  }
  if (mode === 'none') return 'none';
  if (!hasIssuer && !hasAudience) return 'cognito';
  if (!hasIssuer || !hasAudience) {
    throw new Error(
      `Context ${hasIssuer ? AUTH_CONTEXT.issuer : AUTH_CONTEXT.audience} is set but ${hasIssuer ? AUTH_CONTEXT.audience : AUTH_CONTEXT.issuer} is not: ` +
        `a JWT authorizer needs both, e.g. -c ${AUTH_CONTEXT.issuer}=https://issuer.example.com -c ${AUTH_CONTEXT.audience}=my-client-id.`,
    );
  }
  if (typeof issuer !== 'string') {
    throw new Error(`Context ${AUTH_CONTEXT.issuer} must be a URL string, got ${JSON.stringify(issuer)}.`);
  }
  return { issuer, audience: audienceList(audience) };
};

/** `a,b` from the command line, or a list from cdk.json. */
const audienceList = (audience: unknown): string[] => {
  if (typeof audience === 'string') return audience.split(',').map((value) => value.trim());
  if (Array.isArray(audience) && audience.every((value) => typeof value === 'string')) return audience;
  throw new Error(`Context ${AUTH_CONTEXT.audience} must be a comma-separated string or a list of strings, got ${JSON.stringify(audience)}.`);
};

/** Refuses an issuer API Gateway could not use, or one that would accept tokens for anyone. */
export const validateJwtIssuer = (auth: JwtIssuerAuth): void => {
  if (!Token.isUnresolved(auth.issuer)) {
    let url: URL | undefined;
    try {
      url = new URL(auth.issuer);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'https:') {
      throw new Error(
        `OrdersServiceStack: auth.issuer ${JSON.stringify(auth.issuer)} is not an HTTPS URL. Use the issuer exactly as your ` +
          "tokens' `iss` claim says it, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC or https://login.example.com/.",
      );
    }
  }
  if (Token.isUnresolved(auth.audience)) return;
  const blank = auth.audience.filter((value) => !Token.isUnresolved(value) && value.trim() === '');
  if (auth.audience.length === 0 || blank.length > 0) {
    throw new Error(
      `OrdersServiceStack: auth.audience ${JSON.stringify(auth.audience)} must list at least one non-empty audience (the client id or API identifier ` +
        'your issuer puts in `aud` or `client_id`); without one the authorizer would have nothing to check.',
    );
  }
};
