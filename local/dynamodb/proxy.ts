/**
 * DynamoDB's error answers (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html)
 * for faults DynamoDB Local cannot make: a proxy that forwards a function's requests and answers
 * the ones a fault chooses with the service's own JSON error.
 */
import { randomUUID } from 'node:crypto';
import { Agent, type IncomingMessage, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import { listenOnLoopback, refuseUnlessLocalSdk } from '../loopback-server';

/** A DynamoDB request as the proxy sees it: the operation (`X-Amz-Target`) and the parsed JSON body. */
export interface DynamoDbRequest {
  /** e.g. `Query`, from `DynamoDB_20120810.Query`. */
  readonly operation: string | undefined;
  readonly body: Record<string, unknown> | undefined;
}

/** An error DynamoDB could answer, e.g. `InternalServerError` (500) or `ProvisionedThroughputExceededException` (400). */
export interface DynamoDbErrorAnswer {
  readonly status: number;
  /** The error's short name; the proxy sends it as DynamoDB does, `com.amazonaws.dynamodb.v20120810#<code>`. */
  readonly code: string;
  readonly message: string;
}

export interface DynamoDbProxyOptions {
  /** Where requests go: DynamoDB Local's endpoint. */
  readonly target: string;
  /** Answers a request with an error instead of forwarding it; `undefined` forwards it. @default - forward all */
  readonly refuse?: (request: DynamoDbRequest) => DynamoDbErrorAnswer | undefined;
  /** @default - a free port */
  readonly port?: number;
}

export interface DynamoDbProxy {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of DynamoDB Local, for faults DynamoDB Local cannot make:
 * a function given this endpoint (`AWS_ENDPOINT_URL_DYNAMODB`) sends every request here, and
 * every request is forwarded byte for byte, except those `refuse` answers with an error.
 */
export const startDynamoDbProxy = async (options: DynamoDbProxyOptions): Promise<DynamoDbProxy> => {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const refusal = options.refuse?.({ operation: operationOf(request), body: jsonObject(body) });
    if (refusal !== undefined) {
      const payload = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${refusal.code}`, message: refusal.message });
      response.writeHead(refusal.status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(payload),
        'x-amzn-RequestId': randomUUID(),
      });
      response.end(payload);
      return;
    }
    const upstream = httpRequest(
      { hostname: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    // DynamoDB Local gone: the caller sees a dropped connection, as it would without the proxy.
    upstream.once('error', () => response.destroy());
    upstream.end(body);
  };

  const server = createServer((request, response) => {
    if (refuseUnlessLocalSdk(request, response)) return;
    handle(request, response).catch(() => response.destroy());
  });
  const listener = await listenOnLoopback(server, options.port);
  return {
    endpoint: listener.endpoint,
    close: async () => {
      await listener.close();
      agent.destroy();
    },
  };
};

const operationOf = (request: IncomingMessage): string | undefined => {
  const target = request.headers['x-amz-target'];
  return typeof target === 'string' ? target.split('.').at(-1) : undefined;
};

const jsonObject = (body: Buffer): Record<string, unknown> | undefined => {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};
