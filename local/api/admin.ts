/**
 * The `/_local/*` admin routes of CONTRACT.md: local only, never in the deployed API. They copy
 * no AWS behaviour; what they guard against is a web page in the developer's browser reaching
 * them (see `adminRefusal`). The issuer routes publish the local JWT issuer as an OIDC issuer
 * does (https://openid.net/specs/openid-connect-discovery-1_0.html).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import type { DeliveredEvent } from '../events/bus';
import { FunctionError } from '../lambda/functions';
import type { LocalRoute } from './http-api';
import type { LocalIssuer } from './jwt-authorizer';

const tokenBody = z.strictObject({
  sub: z.string().min(1).max(255),
  staff: z.boolean().default(false),
  expiresInSeconds: z.number().int().min(1).max(7 * 24 * 3600).default(3600),
});

export interface AdminOperations {
  health(): Record<string, unknown>;
  events(aggregateId: string | undefined): DeliveredEvent[];
  outbox(): Promise<unknown>;
  /** The app's faults (`GET /_local/faults`). */
  faults(): unknown;
  /** Validates a `PUT /_local/faults` body and applies it, or says what is wrong with it (nothing changes). */
  setFaults(body: unknown): { readonly faults: unknown } | { readonly invalid: z.ZodError };
  invoke(name: string, body: unknown): Promise<{ found: boolean; result?: unknown }>;
  /** The local issuer, once the API listens. */
  issuer(): LocalIssuer | undefined;
  /** Whether a `Host` header names this stack: localhost, 127.0.0.1 or [::1], with its port. */
  isAllowedHost(host: string | undefined): boolean;
}

/** The answer while the local issuer is still starting. */
const issuerNotReady = (): APIGatewayProxyStructuredResultV2 =>
  json(503, { error: { code: 'NOT_READY', message: 'The local issuer is not ready yet.' } });

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const validationFailed = (message: string, error: z.ZodError): APIGatewayProxyStructuredResultV2 =>
  json(400, {
    error: {
      code: 'VALIDATION_FAILED',
      message,
      details: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    },
  });

/** The media type of a `content-type` header, without its parameters (`charset`). */
const mediaTypeOf = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * What every admin route checks first. The Host must name this stack (a page whose name was
 * rebound to 127.0.0.1 sends its own name: DNS rebinding), and a request that changes something
 * must be `application/json`, which a web page can send elsewhere only after a CORS preflight
 * this stack never answers (a form or a `text/plain` fetch needs none).
 */
const adminRefusal = (event: APIGatewayProxyEventV2, ops: AdminOperations): APIGatewayProxyStructuredResultV2 | undefined => {
  if (!ops.isAllowedHost(event.headers.host)) {
    return json(403, {
      error: {
        code: 'FORBIDDEN',
        message: 'The admin routes answer only requests to localhost, 127.0.0.1 or [::1] with this port.',
      },
    });
  }
  const changes = event.requestContext.http.method !== 'GET' && event.requestContext.http.method !== 'HEAD';
  if (changes && mediaTypeOf(event.headers['content-type']) !== 'application/json') {
    return json(415, {
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Admin requests that change something must be sent as application/json.' },
    });
  }
  return undefined;
};

const parseBody = (event: APIGatewayProxyEventV2): unknown => {
  if (event.body === undefined || event.body === '') return undefined;
  return JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) as unknown;
};

/** The `/_local/*` admin routes of CONTRACT.md: local only, never in the deployed API. */
export const adminRoutes = (ops: AdminOperations): LocalRoute[] => {
  const route = (method: string, routePath: string, handle: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>): LocalRoute => ({
    method,
    path: routePath,
    functionName: 'local-admin',
    handler: async (event) => {
      try {
        return adminRefusal(event, ops) ?? (await handle(event));
      } catch (error: unknown) {
        return json(400, { error: { code: 'BAD_REQUEST', message: error instanceof Error ? error.message : String(error) } });
      }
    },
  });
  return [
    route('GET', '/_local/health', async () => json(200, { status: 'ok', ...ops.health() })),
    route('GET', '/_local/events', async (event) => json(200, { events: ops.events(event.queryStringParameters?.aggregateId) })),
    route('GET', '/_local/outbox', async () => json(200, await ops.outbox())),
    route('GET', '/_local/faults', async () => json(200, ops.faults())),
    route('PUT', '/_local/faults', async (event) => {
      const outcome = ops.setFaults(parseBody(event) ?? {});
      return 'invalid' in outcome ? validationFailed('The faults are not valid.', outcome.invalid) : json(200, outcome.faults);
    }),
    route('POST', '/_local/functions/{name}/invoke', async (event) => {
      const name = event.pathParameters?.name ?? '';
      try {
        const outcome = await ops.invoke(name, parseBody(event));
        return outcome.found
          ? json(200, outcome.result ?? null)
          : json(404, { error: { code: 'FUNCTION_NOT_FOUND', message: `No function named ${name}.` } });
      } catch (error: unknown) {
        if (error instanceof FunctionError) return json(502, { errorType: error.errorType, errorMessage: error.message });
        throw error;
      }
    }),
    route('POST', '/_local/token', async (event) => {
      const parsed = tokenBody.safeParse(parseBody(event) ?? {});
      if (!parsed.success) return validationFailed('The token request is not valid.', parsed.error);
      const issuer = ops.issuer();
      if (issuer === undefined) return issuerNotReady();
      return json(200, { token: await issuer.mintToken(parsed.data) });
    }),
    // The issuer's discovery document and keys, as an OIDC issuer publishes them.
    route('GET', '/_local/issuer/.well-known/openid-configuration', async () => {
      const issuer = ops.issuer();
      return issuer === undefined
        ? issuerNotReady()
        : json(200, {
            issuer: issuer.issuer,
            jwks_uri: `${issuer.issuer}/.well-known/jwks.json`,
            id_token_signing_alg_values_supported: ['RS256'],
            response_types_supported: ['token'],
            subject_types_supported: ['public'],
          });
    }),
    route('GET', '/_local/issuer/.well-known/jwks.json', async () => {
      const issuer = ops.issuer();
      return issuer === undefined
        ? issuerNotReady()
        : json(200, await issuer.jwks());
    }),
  ];
};

