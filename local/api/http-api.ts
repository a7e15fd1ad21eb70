/**
 * API Gateway's HTTP API with Lambda proxy integrations, payload format 2.0
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * see `startLocalHttpApi`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type ReservedServer, reserveLoopbackServer } from '../loopback-server';

export type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | string | undefined>;

export interface LocalRoute {
  readonly method: string;
  /** An HTTP API path such as `/orders/{id}/confirm`. */
  readonly path: string;
  readonly functionName: string;
  readonly handler: LambdaHttpHandler;
  /** The route's authorizer, which runs before the function. @default - the route is open */
  readonly authorize?: RouteAuthorizer;
}

/** What an authorizer sees of a request: its headers (lower-cased names) and query string. */
export interface AuthorizerRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly queryStringParameters: Readonly<Record<string, string>>;
}

/**
 * Lets the request through with what the integration gets in `requestContext.authorizer`, or
 * answers it (the gateway's own 401 or 403) without running the function.
 */
export type AuthorizerDecision =
  | { readonly allow: true; readonly authorizer: Record<string, unknown> }
  | { readonly allow: false; readonly response: APIGatewayProxyStructuredResultV2 };

export type RouteAuthorizer = (request: AuthorizerRequest) => Promise<AuthorizerDecision>;

export interface LocalHttpApi {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves a request itself, ahead of the routes (the local AWS APIs on the same port). */
export type DirectHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** API Gateway's own payload ceiling; above it the gateway answers 413 without invoking anything. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Content types HTTP API passes as text; any other body reaches the function base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded))/i;

interface CompiledRoute extends LocalRoute {
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
}

const compile = (route: LocalRoute): CompiledRoute => {
  const parameterNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const parameter = /^\{(\w+)\}$/.exec(segment);
      if (parameter?.[1] !== undefined) {
        parameterNames.push(parameter[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}$`), parameterNames };
};

/**
 * Serves Lambda handlers over real HTTP the way an API Gateway HTTP API (payload format 2.0)
 * does: the same event shape, lower-cased headers, base64 for binary bodies, the gateway's own
 * 404 and 500 answers.
 */
export const startLocalHttpApi = async (
  routes: readonly LocalRoute[],
  options: {
    readonly port?: number;
    /** A server `reserveLoopbackServer` made: the API takes it over instead of listening anew. @default - listen on `port` */
    readonly server?: ReservedServer;
    /** A handler for the requests it takes, before any route matches. @default - none */
    readonly intercept?: (request: IncomingMessage) => DirectHandler | undefined;
    /** Called once per request answered, e.g. for a log line. */
    readonly onResponse?: (line: { method: string; path: string; status: number; ms: number }) => void;
  } = {},
): Promise<LocalHttpApi> => {
  const compiled = routes.map(compile);
  const { url, server } = options.server ?? (await reserveLoopbackServer(options.port));
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const started = Date.now();
    response.once('finish', () => {
      options.onResponse?.({
        method: request.method ?? 'GET',
        path: (request.url ?? '/').split('?')[0] ?? '/',
        status: response.statusCode,
        ms: Date.now() - started,
      });
    });
    const direct = options.intercept?.(request);
    // A client that goes away mid-request (or the stack closing under it) aborts the body read.
    (direct ?? ((req, res) => serve(compiled, req, res)))(request, response).catch(() => response.destroy());
  });
  return {
    url,
    server,
    close: async () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

const serve = async (routes: readonly CompiledRoute[], request: IncomingMessage, response: ServerResponse) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = (request.method ?? 'GET').toUpperCase();
  let match: { route: CompiledRoute; values: RegExpExecArray } | undefined;
  for (const route of routes) {
    const values = route.method === method ? route.pattern.exec(url.pathname) : null;
    if (values !== null) {
      match = { route, values };
      break;
    }
  }
  if (match === undefined) {
    request.resume();
    return send(response, { statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' });
  }

  const headers = headersOf(request);
  const queryStringParameters = queryOf(url);
  let authorizer: Record<string, unknown> | undefined;
  if (match.route.authorize !== undefined) {
    const decision = await match.route.authorize({ headers, queryStringParameters }).catch(
      (): AuthorizerDecision => ({ allow: false, response: { statusCode: 500, body: '{"message":"Internal Server Error"}' } }),
    );
    if (!decision.allow) {
      // The gateway answers for itself: the function never runs.
      request.resume();
      return send(response, { ...decision.response, headers: { 'content-type': 'application/json', ...decision.response.headers } });
    }
    authorizer = decision.authorizer;
  }

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) {
      return send(response, {
        statusCode: 413,
        headers: { 'content-type': 'application/json' },
        body: '{"message":"Request Entity Too Large"}',
      });
    }
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const event = toEvent(match.route, match.values, { request, headers, queryStringParameters, authorizer }, url, method, body);
  try {
    const result = await match.route.handler(event, lambdaContext(match.route.functionName, event.requestContext.requestId));
    send(response, normalise(result));
  } catch {
    // The gateway hides what the function threw, and so do we.
    send(response, {
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"Internal Server Error"}',
    });
  }
};

/** Request headers as HTTP API passes them: lower-cased names, repeated values joined, cookies apart. */
const headersOf = (request: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
};

const cookiesOf = (request: IncomingMessage): string[] => {
  const value = request.headers.cookie;
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(/;\s*/));
};

const queryOf = (url: URL): Record<string, string> => {
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    queryStringParameters[name] = queryStringParameters[name] === undefined ? value : `${queryStringParameters[name]},${value}`;
  }
  return queryStringParameters;
};

const toEvent = (
  route: CompiledRoute,
  values: RegExpExecArray,
  parsed: {
    readonly request: IncomingMessage;
    readonly headers: Record<string, string>;
    readonly queryStringParameters: Record<string, string>;
    readonly authorizer: Record<string, unknown> | undefined;
  },
  url: URL,
  method: string,
  body: Buffer,
): APIGatewayProxyEventV2 => {
  const { request, headers, queryStringParameters, authorizer } = parsed;
  const cookies = cookiesOf(request);
  const pathParameters: Record<string, string> = {};
  route.parameterNames.forEach((name, index) => {
    pathParameters[name] = decodeURIComponent(values[index + 1] ?? '');
  });
  const now = new Date();
  const text = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    ...(route.parameterNames.length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      ...(authorizer === undefined ? {} : { authorizer }),
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !text,
  };
};

const lambdaContext = (functionName: string, requestId: string): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
  memoryLimitInMB: '1024',
  awsRequestId: requestId,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** HTTP API's rules for a payload 2.0 result that is not a full response object. */
const normalise = (result: APIGatewayProxyStructuredResultV2 | string | undefined): APIGatewayProxyStructuredResultV2 => {
  if (result === undefined) {
    return { statusCode: 200, body: '' };
  }
  if (typeof result === 'string' || result.statusCode === undefined) {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  }
  return result;
};

const send = (response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void => {
  const body =
    result.body === undefined ? '' : result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : result.body;
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    response.setHeader(name, String(value));
  }
  response.statusCode = result.statusCode ?? 200;
  response.end(body);
};
