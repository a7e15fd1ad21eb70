/**
 * Lambda's `Invoke` API (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html), what
 * functions reach through `AWS_ENDPOINT_URL_LAMBDA`: see `startLocalLambdaApi`.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type LocalFunction, failureOf } from './functions';
import { localFunctionArn } from '../model/template';
import type { AsyncInvocations } from './async-invocations';
import { listenOnLoopback, refuseUnlessLocalSdk } from '../loopback-server';

/** Lambda's limit on a synchronous invocation's response (6 MB). */
const MAX_SYNC_RESPONSE_BYTES = 6_291_556;
/** Lambda's payload limits: 6 MB for a synchronous invocation, 1 MB for an asynchronous one. */
const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;

/**
 * The function a `FunctionName` names: a name, a partial ARN (`123456789012:function:name`) or an
 * ARN, each optionally with `:$LATEST` (local functions have no versions or aliases).
 * `undefined` when it names another qualifier or is not a function name at all.
 */
export const functionNameOf = (functionName: string, qualifier?: string): string | undefined => {
  const match = /^(?:(?:arn:[\w-]+:lambda:[\w-]+:)?\d{12}:function:)?([\w-]{1,64})(?::([\w$-]+))?$/.exec(functionName);
  if (match === null) return undefined;
  const qualifiers = [match[2], qualifier].filter((q) => q !== undefined && q !== '');
  return qualifiers.every((q) => q === '$LATEST') ? match[1] : undefined;
};

export interface LambdaInvokeOptions {
  /** The local function of that name, if any. */
  readonly functionNamed: (name: string) => LocalFunction | undefined;
  readonly asyncInvocations: AsyncInvocations;
  /** Called once per request answered, e.g. for a log line. */
  readonly onResponse?: (line: { functionName: string; invocationType: string; status: number }) => void;
}

export interface LocalLambdaApiOptions extends LambdaInvokeOptions {
  /** @default - a free port */
  readonly port?: number;
}

export interface LocalLambdaApi {
  readonly endpoint: string;
  /** The `Invoke` handler itself, for another server to mount (the local stack's API port does). */
  readonly handle: InvokeHandler;
  close(): Promise<void>;
}

/** Answers one request under `/2015-03-31/functions/`. */
export type InvokeHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * The Lambda `Invoke` API for the real `@aws-sdk/client-lambda` (restJson1): `RequestResponse`
 * answers the function's result (or `X-Amz-Function-Error: Unhandled` with its error), `Event`
 * answers 202 and runs the function through `AsyncInvocations`, `DryRun` answers 204; an unknown
 * function is a 404 `ResourceNotFoundException`, as on AWS.
 */
const lambdaInvokeHandler = (options: LambdaInvokeOptions): InvokeHandler => {
  const invoke = async (request: IncomingMessage, body: Buffer): Promise<Answer & { functionName: string; invocationType: string }> => {
    const url = new URL(request.url ?? '/', 'http://local');
    const rawName = INVOKE_PATH.exec(url.pathname)?.[1];
    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (request.method !== 'POST' || rawName === undefined) {
      return { ...lambdaError(404, 'UnknownOperationException', `Unsupported operation ${request.method} ${url.pathname}`), functionName: '', invocationType };
    }
    const requested = decodeURIComponent(rawName);
    const name = functionNameOf(requested, url.searchParams.get('Qualifier') ?? undefined);
    const fn = name === undefined ? undefined : options.functionNamed(name);
    const answer = (result: Answer): Answer & { functionName: string; invocationType: string } => ({ ...result, functionName: requested, invocationType });
    if (fn === undefined) {
      const arn = requested.startsWith('arn:') ? requested : localFunctionArn(requested);
      return answer(lambdaError(404, 'ResourceNotFoundException', `Function not found: ${arn}`));
    }
    if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
      return answer(lambdaError(400, 'InvalidParameterValueException', `Unsupported invocation type ${invocationType}: use RequestResponse, Event or DryRun.`));
    }
    const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
    if (body.length > limit) {
      return answer(lambdaError(413, 'RequestTooLargeException', `Request must be smaller than ${limit} bytes for the Invoke operation`));
    }
    let payload: unknown = {};
    if (body.length > 0) {
      try {
        payload = JSON.parse(body.toString('utf8')) as unknown;
      } catch (error: unknown) {
        return answer(lambdaError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${error instanceof Error ? error.message : String(error)}`));
      }
    }
    if (invocationType === 'DryRun') return answer({ status: 204 });
    if (invocationType === 'Event') {
      options.asyncInvocations.invoke(fn, payload);
      return answer({ status: 202 });
    }
    try {
      const result = JSON.stringify((await fn.invoke(payload)) ?? null);
      // Lambda answers a synchronous result over its limit as the function's error.
      if (Buffer.byteLength(result) > MAX_SYNC_RESPONSE_BYTES) {
        return answer({
          status: 200,
          headers: { 'X-Amz-Executed-Version': '$LATEST', 'X-Amz-Function-Error': 'Unhandled' },
          body: JSON.stringify({
            errorType: 'Function.ResponseSizeTooLarge',
            errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_RESPONSE_BYTES} bytes).`,
          }),
        });
      }
      return answer({ status: 200, headers: { 'X-Amz-Executed-Version': '$LATEST' }, body: result });
    } catch (error: unknown) {
      const failure = failureOf(error);
      return answer({
        status: 200,
        headers: { 'X-Amz-Executed-Version': '$LATEST', 'X-Amz-Function-Error': 'Unhandled' },
        body: JSON.stringify({ ...failure, trace: [] }),
      });
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const result = await invoke(request, Buffer.concat(chunks));
    const body = result.body ?? '';
    response.writeHead(result.status, {
      ...(body === '' ? {} : { 'content-type': 'application/json' }),
      'content-length': Buffer.byteLength(body),
      'x-amzn-RequestId': randomUUID(),
      ...result.headers,
    });
    response.end(body);
    options.onResponse?.({ functionName: result.functionName, invocationType: result.invocationType, status: result.status });
  };
  return handle;
};

/** The `Invoke` API on a loopback port of its own (every function's `AWS_ENDPOINT_URL_LAMBDA`). */
export const startLocalLambdaApi = async (options: LocalLambdaApiOptions): Promise<LocalLambdaApi> => {
  const handle = lambdaInvokeHandler(options);
  const server = createServer((request, response) => {
    if (refuseUnlessLocalSdk(request, response)) return;
    handle(request, response).catch(() => response.destroy());
  });
  return { ...(await listenOnLoopback(server, options.port)), handle };
};

/** A restJson1 error as Lambda answers it: the type in `x-amzn-ErrorType`, `{Type, Message}` in the body. */
const lambdaError = (status: number, type: string, message: string): Answer => ({
  status,
  headers: { 'x-amzn-ErrorType': type },
  body: JSON.stringify({ Type: 'User', Message: message }),
});
