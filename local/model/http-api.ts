import { type CfnTemplate, UnsupportedConstructError, resourcesOfType } from './template';

/** A template asks the local stack for an authorization it does not emulate (an IAM or Lambda authorizer). */
export class UnsupportedAuthorizerError extends UnsupportedConstructError {
  public constructor(message: string) {
    super(message);
    this.name = 'UnsupportedAuthorizerError';
  }
}
/** Where a JWT authorizer finds the token: one request header or one query string parameter. */
export interface IdentitySource {
  readonly in: 'header' | 'querystring';
  /** Lower-cased for a header (HTTP API lower-cases header names). */
  readonly name: string;
}

/**
 * An `AWS::ApiGatewayV2::Authorizer` of type JWT, as the template has it: `issuer` and
 * `audience` are still the template's values (often `Fn::Join` and `Ref`), for the caller to
 * resolve.
 */
export interface JwtAuthorizerSettings {
  readonly logicalId: string;
  readonly name: string;
  readonly issuer: unknown;
  readonly audience: readonly unknown[];
  readonly identitySource: IdentitySource;
}

/** How one route is authorized (`AuthorizationType`, `AuthorizerId`, `AuthorizationScopes`). */
export interface RouteAuthorization {
  /** The route is open (`NONE`, as on AWS when a route names no authorizer), or needs a JWT. */
  readonly type: 'NONE' | 'JWT';
  /** The logical id of its JWT authorizer. */
  readonly authorizerLogicalId?: string;
  /** The token must carry one of these in `scope` or `scp`; empty means any valid token. */
  readonly scopes: readonly string[];
}

const IDENTITY_SOURCE = /^\$request\.(header|querystring)\.([A-Za-z0-9!#$%&'*+.^_`|~-]+)$/;

/** Every JWT authorizer of the template by logical id; any other authorizer type is refused. */
export const jwtAuthorizersOf = (template: CfnTemplate): Map<string, JwtAuthorizerSettings> => {
  const authorizers = new Map<string, JwtAuthorizerSettings>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Authorizer') continue;
    const props = resource.Properties ?? {};
    const type = String(props.AuthorizerType);
    if (type !== 'JWT') {
      throw new UnsupportedAuthorizerError(
        `Authorizer ${logicalId} is of type ${type}; the local stack emulates only JWT authorizers (HttpJwtAuthorizer, HttpUserPoolAuthorizer). ` +
          'Use a JWT authorizer, or run this API on AWS.',
      );
    }
    const config = (props.JwtConfiguration ?? {}) as { Issuer?: unknown; Audience?: unknown[] };
    const sources = (props.IdentitySource as unknown[] | undefined) ?? ['$request.header.Authorization'];
    const source = sources.length === 1 && typeof sources[0] === 'string' ? IDENTITY_SOURCE.exec(sources[0]) : null;
    if (source === null || config.Issuer === undefined) {
      throw new UnsupportedAuthorizerError(
        `JWT authorizer ${logicalId} needs one identity source ($request.header.NAME or $request.querystring.NAME) and an issuer; ` +
          `it has ${JSON.stringify(sources)} and ${JSON.stringify(config.Issuer ?? null)}.`,
      );
    }
    const where = source[1] as 'header' | 'querystring';
    const name = source[2] as string;
    authorizers.set(logicalId, {
      logicalId,
      name: String(props.Name ?? logicalId),
      issuer: config.Issuer,
      audience: config.Audience ?? [],
      identitySource: { in: where, name: where === 'header' ? name.toLowerCase() : name },
    });
  }
  return authorizers;
};

/** How each route of the template (by its `RouteKey`, e.g. `GET /orders/{id}`) is authorized. */
export const routeAuthorizationsOf = (template: CfnTemplate): Map<string, RouteAuthorization> => {
  const authorizers = jwtAuthorizersOf(template);
  const routes = new Map<string, RouteAuthorization>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Route') continue;
    const props = resource.Properties ?? {};
    const routeKey = String(props.RouteKey);
    const type = String(props.AuthorizationType ?? 'NONE');
    const scopes = ((props.AuthorizationScopes as unknown[] | undefined) ?? []).map(String);
    if (type === 'NONE') {
      routes.set(routeKey, { type: 'NONE', scopes: [] });
      continue;
    }
    const authorizerLogicalId = (props.AuthorizerId as { Ref?: unknown } | undefined)?.Ref;
    if (type !== 'JWT') {
      throw new UnsupportedAuthorizerError(
        `Route ${routeKey} (${logicalId}) uses AuthorizationType ${type}; the local stack emulates only JWT authorizers. ` +
          'Use a JWT authorizer (HttpJwtAuthorizer, HttpUserPoolAuthorizer), or run this API on AWS.',
      );
    }
    if (typeof authorizerLogicalId !== 'string' || !authorizers.has(authorizerLogicalId)) {
      throw new UnsupportedAuthorizerError(
        `Route ${routeKey} (${logicalId}) needs a JWT but names no JWT authorizer of this template (AuthorizerId ${JSON.stringify(props.AuthorizerId ?? null)}).`,
      );
    }
    routes.set(routeKey, { type: 'JWT', authorizerLogicalId, scopes });
  }
  return routes;
};

/** One route of the template's HTTP API (`AWS::ApiGatewayV2::Route`) and the function its integration invokes. */
export interface HttpRouteModel {
  readonly logicalId: string;
  /** `GET /orders/{id}`. */
  readonly routeKey: string;
  readonly method: string;
  readonly path: string;
  readonly functionLogicalId: string;
  readonly authorization: RouteAuthorization;
}

/** Every route with its Lambda proxy integration's function; a route to anything else is refused. */
export const httpRoutesOf = (template: CfnTemplate): HttpRouteModel[] => {
  const authorization = routeAuthorizationsOf(template);
  return resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([logicalId, route]) => {
    const props = route.Properties ?? {};
    const routeKey = String(props.RouteKey);
    const [method, routePath] = routeKey.split(' ') as [string, string];
    const integrationId = /"Ref":"([^"]+)"/.exec(JSON.stringify(props.Target ?? ''))?.[1] ?? '';
    const uri = template.Resources[integrationId]?.Properties?.IntegrationUri as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const functionLogicalId = uri?.['Fn::GetAtt']?.[0] ?? '';
    if (template.Resources[functionLogicalId]?.Type !== 'AWS::Lambda::Function') {
      throw new UnsupportedConstructError(
        `Route ${routeKey} (${logicalId}) integrates with ${JSON.stringify(uri ?? props.Target ?? null)}; the local stack runs Lambda proxy integrations of this template's functions only.`,
      );
    }
    return { logicalId, routeKey, method, path: routePath, functionLogicalId, authorization: authorization.get(routeKey) ?? { type: 'NONE', scopes: [] } };
  });
};
