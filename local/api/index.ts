/**
 * API Gateway's HTTP API on this machine: the template's routes, each to its function through a
 * Lambda proxy integration (payload format 2.0, http-api.ts), its JWT authorizer run against a
 * local issuer that stands in for the template's (route-authorizer.ts, jwt-authorizer.ts), and
 * the `/_local/*` admin routes (admin.ts), and on the same port the local AWS APIs tools call
 * (aws.ts: SQS, CloudFormation's DescribeStacks, Lambda's Invoke).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LocalFunction } from '../lambda/functions';
import type { AppModel } from '../model';
import { type AdminOperations, adminRoutes } from './admin';
import type { ReservedServer } from '../loopback-server';
import { type LocalAwsApis, localAwsRequest } from './aws';
import { type LocalHttpApi, type LocalRoute, startLocalHttpApi } from './http-api';
import { type LocalIssuer, createSigningKey, localIssuer } from './jwt-authorizer';
import { jwtRouteAuthorizer } from './route-authorizer';

export interface LocalApiOptions {
  readonly model: AppModel;
  readonly functionOf: (logicalId: string) => LocalFunction;
  /** What the admin routes read and change (the issuer and the Host check are this API's own). */
  readonly admin: Omit<AdminOperations, 'issuer' | 'isAllowedHost'>;
  /** The port, already taken (`reserveLoopbackServer`): others had to know the URL first. */
  readonly server: ReservedServer;
  /** The local AWS APIs served on the same port, ahead of the routes (local/api/aws.ts). @default - none */
  readonly aws?: LocalAwsApis;
  readonly log: (line: string) => void;
}

export interface LocalApi extends LocalHttpApi {
  readonly issuer: LocalIssuer;
}

export const startLocalApi = async (options: LocalApiOptions): Promise<LocalApi> => {
  const { model } = options;
  // The local issuer: a key pair made now; its URL names the port, known once the API listens.
  const signingKey = await createSigningKey();
  const authorizers = [...model.jwtAuthorizers.values()];
  const audience = [...new Set(authorizers.flatMap((authorizer) => authorizer.audience))];
  let issuer: LocalIssuer | undefined;
  let allowedHosts = new Set<string>();

  const admin = adminRoutes({
    ...options.admin,
    issuer: () => issuer,
    isAllowedHost: (host) => host !== undefined && allowedHosts.has(host.toLowerCase()),
  });
  const routes = model.httpRoutes.map((route): LocalRoute => {
    const fn = options.functionOf(route.functionLogicalId);
    const authorizerId = route.authorization.authorizerLogicalId;
    const authorizer = authorizerId === undefined ? undefined : model.jwtAuthorizers.get(authorizerId);
    const authorize =
      authorizer === undefined
        ? undefined
        : jwtRouteAuthorizer(signingKey, () => issuer?.issuer, authorizer.audience, route.authorization, authorizer.settings.identitySource);
    return {
      method: route.method,
      path: route.path,
      functionName: fn.spec.name,
      ...(authorize === undefined ? {} : { authorize }),
      // A function error becomes API Gateway's own opaque 500, as on AWS.
      handler: async (event: APIGatewayProxyEventV2) => (await fn.invoke(event)) as APIGatewayProxyStructuredResultV2,
    };
  });
  const api = await startLocalHttpApi([...admin, ...routes], {
    server: options.server,
    ...(options.aws === undefined ? {} : { intercept: localAwsRequest(options.aws) }),
    onResponse: ({ method, path: requestPath, status, ms }) => options.log(`http   ${method} ${requestPath} ${status} ${ms}ms`),
  });
  const { port } = new URL(api.url);
  issuer = localIssuer(signingKey, `${api.url}/_local/issuer`, audience);
  allowedHosts = new Set(['localhost', '127.0.0.1', '[::1]'].map((host) => `${host}:${port}`));
  return { ...api, issuer };
};
