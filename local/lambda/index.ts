/**
 * The Lambda service on this machine: every function of the template in runtimes of its own
 * (functions.ts: execution environments as https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 * describes them), the `Invoke` API the functions' SDKs reach through `AWS_ENDPOINT_URL_LAMBDA`
 * (api.ts), and asynchronous invocation with the function's EventInvokeConfig (async-invocations.ts).
 * Stream event source mappings are in streams.ts.
 */
import { DEFAULT_ASYNC_INVOKE, type FunctionModel } from '../model/lambda';
import { localFunctionArn } from '../model/template';
import { type InvokeHandler, MAX_ASYNC_PAYLOAD_BYTES, startLocalLambdaApi } from './api';
import { AsyncInvocations } from './async-invocations';
import { type FunctionError, LocalFunction } from './functions';

export interface LocalLambdaOptions {
  readonly functions: readonly FunctionModel[];
  /** Variables every runtime gets under the function's own (region, credentials, endpoints). */
  readonly baseEnvironment: Record<string, string>;
  /** Variables set over a function's own (endpoints that name it, `environmentOverrides`). */
  readonly environmentOf: (fn: FunctionModel) => Record<string, string>;
  /** A function's log output. */
  readonly functionLog: (name: string, line: string) => void;
  /** Called as each invocation starts; an error it returns fails it before the function runs. @default - none */
  readonly injectFault?: (fn: FunctionModel) => FunctionError | undefined;
  readonly log: (line: string) => void;
  /** A message for a local queue (an on-failure destination). */
  readonly sendToQueue: (queueLogicalId: string, body: unknown) => void;
}

/** Lambda refused an invocation before queueing it (`RequestTooLargeException`, `ResourceNotFoundException`). */
export interface InvokeRefusal {
  readonly code: string;
  readonly message: string;
}

export interface LocalLambda {
  /** The `Invoke` API (every function's `AWS_ENDPOINT_URL_LAMBDA`). */
  readonly endpoint: string;
  /** The `Invoke` API's handler, for the local stack's API port to serve it too. */
  readonly handleInvoke: InvokeHandler;
  /** Local functions by name. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** The function of a logical id; the model guarantees it exists. */
  functionOf(logicalId: string): LocalFunction;
  /** An asynchronous invocation, as EventBridge makes one for a rule target: queued, or refused. */
  invokeAsync(functionLogicalId: string, payload: unknown): InvokeRefusal | undefined;
  close(): Promise<void>;
}

export const startLocalLambda = async (options: LocalLambdaOptions): Promise<LocalLambda> => {
  const functions = new Map<string, LocalFunction>();
  const byLogicalId = new Map<string, LocalFunction>();
  const byModel = new Map<LocalFunction, FunctionModel>();
  const asyncInvocations = new AsyncInvocations({
    settingsOf: (fn) => byModel.get(fn)?.asyncInvoke ?? DEFAULT_ASYNC_INVOKE,
    onFailure: (fn, record, queue) => {
      options.log(
        `async  ${fn.spec.name} gave up after ${record.requestContext.approximateInvokeCount} attempts ` +
          `(${record.requestContext.condition}): ${record.responsePayload?.errorMessage ?? ''}${queue === undefined ? '' : ` -> ${queue}`}`,
      );
      if (queue !== undefined) options.sendToQueue(queue, record);
    },
  });
  const api = await startLocalLambdaApi({
    functionNamed: (name) => functions.get(name),
    asyncInvocations,
    onResponse: ({ functionName, invocationType, status }) => options.log(`lambda Invoke ${functionName} ${invocationType} ${status}`),
  });
  const baseEnvironment = { ...options.baseEnvironment, AWS_ENDPOINT_URL_LAMBDA: api.endpoint };
  for (const model of options.functions) {
    const fn = new LocalFunction(
      { ...model, environment: { ...model.environment, ...options.environmentOf(model) } },
      baseEnvironment,
      options.functionLog,
      () => options.injectFault?.(model),
    );
    functions.set(model.name, fn);
    byLogicalId.set(model.logicalId, fn);
    byModel.set(fn, model);
  }
  const functionOf = (logicalId: string): LocalFunction => {
    const fn = byLogicalId.get(logicalId);
    if (fn === undefined) throw new Error(`The template names a function ${logicalId} that it does not define.`);
    return fn;
  };

  return {
    endpoint: api.endpoint,
    handleInvoke: api.handle,
    functions,
    functionOf,
    invokeAsync: (functionLogicalId, payload) => {
      const fn = byLogicalId.get(functionLogicalId);
      if (fn === undefined) {
        return { code: 'ResourceNotFoundException', message: `Function not found: ${localFunctionArn(functionLogicalId)}` };
      }
      const bytes = Buffer.byteLength(JSON.stringify(payload ?? null));
      if (bytes > MAX_ASYNC_PAYLOAD_BYTES) {
        return { code: 'RequestTooLargeException', message: `Request must be smaller than ${MAX_ASYNC_PAYLOAD_BYTES} bytes for the Invoke operation` };
      }
      asyncInvocations.invoke(fn, payload);
      return undefined;
    },
    // The API and the async queue go first: nothing invokes a function once it is gone.
    close: async () => {
      asyncInvocations.stop();
      await api.close().catch(() => undefined);
      for (const fn of functions.values()) await fn.close().catch(() => undefined);
    },
  };
};
