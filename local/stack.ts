import { mkdirSync } from 'node:fs';
import { startLocalApi } from './api';
import { localCloudFormation } from './cloudformation';
import type { LocalIssuer } from './api/jwt-authorizer';
import { type AppHooksFactory, noAppHooks } from './apps/hooks';
import { startLocalDynamoDb } from './dynamodb';
import { startLocalEvents } from './events';
import type { AcceptedEvent, LocalEventBridge } from './events/bus';
import { type LocalRule, startLocalRules } from './events/rules';
import { startLocalLambda } from './lambda';
import type { LocalFunction } from './lambda/functions';
import type { StreamPoller } from './lambda/stream-poller';
import { startStreamPollers } from './lambda/streams';
import { reserveLoopbackServer } from './loopback-server';
import { type CfnTemplate, LOCAL_REGION, type RouteAuthorization, constructPathOf, readAppModel } from './model';
import { startLocalSqs } from './sqs';
import type { CloudAssembly } from './synth';

export type { LocalRule } from './events/rules';

export interface LocalStackOptions<Faults = unknown> {
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** Where DynamoDB data, the event log, stream checkpoints and queues live. @default - in memory, nothing kept */
  readonly dataDir?: string;
  /** Use this DynamoDB Local instead of starting one (tests share one). @default - start one */
  readonly dynamodbEndpoint?: string;
  /** Prefix of the local table names. @default '' */
  readonly tablePrefix?: string;
  /** The synthesized app (`synthesizeApp`; the Orders service's: local/apps/orders-stack.ts). */
  readonly assembly: CloudAssembly;
  /**
   * The app's own hooks on the emulators (admin state, faults), e.g. `startOrdersHooks`
   * (local/apps/orders.ts), so a second app brings its own without a change here.
   * @default - none: the emulators as AWS runs them, no faults, no outbox statistics
   */
  readonly hooks?: AppHooksFactory<Faults>;
  /** One line per request and per published event, and the functions' own logs. @default console */
  readonly log?: (line: string) => void;
  /** Functions' log output. @default - to `log`, prefixed with the function name */
  readonly functionLog?: (name: string, line: string) => void;
  /** Random source for fault injection. @default Math.random */
  readonly random?: () => number;
  /** @default 250 ms */
  readonly pollIntervalMs?: number;
  /** Variables set on top of every function's own (like `sam local --env-vars`). @default - none */
  readonly environmentOverrides?: Record<string, string>;
  /** Warnings that must not go unseen (e.g. DynamoDB Local reachable from the network). @default stderr */
  readonly warn?: (line: string) => void;
}

export interface LocalStack<Faults = unknown> {
  /** The HTTP API, and on the same port the local AWS APIs: SQS, CloudFormation's `DescribeStacks`, Lambda's `Invoke`. */
  readonly url: string;
  /** The stack's name, as `DescribeStacks` answers it. */
  readonly stackName: string;
  readonly dynamodbEndpoint: string;
  readonly eventBridgeEndpoint: string;
  /** The Lambda `Invoke` API (every function's `AWS_ENDPOINT_URL_LAMBDA`). */
  readonly lambdaEndpoint: string;
  readonly template: CfnTemplate;
  /** Local table name by logical id. */
  readonly tables: Record<string, string>;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly pollers: readonly { readonly functionName: string; readonly poller: StreamPoller }[];
  readonly rules: readonly LocalRule[];
  readonly bus: LocalEventBridge;
  /** The app's faults as its hooks keep them (`{}` without hooks). */
  readonly faults: Faults;
  /**
   * Every message body that reached each local queue since the start (failure destinations,
   * dead-letter queues, SQS `SendMessage`), by logical id; the queues themselves are on the SQS API at `url`.
   */
  readonly queues: ReadonlyMap<string, unknown[]>;
  readonly events: AcceptedEvent[];
  /** The local JWT issuer that stands in for the template's authorizers' issuers. */
  readonly issuer: LocalIssuer;
  /** How each route (by route key, e.g. `GET /orders/{id}`) is authorized, as the template says. */
  readonly routeAuthorization: ReadonlyMap<string, RouteAuthorization>;
  /**
   * How the DynamoDB Local it started is kept to this machine: `network-namespace`, or `none` (it
   * listens on every interface, and `warn` said so); `external` when it was given an endpoint.
   */
  readonly dynamodbIsolation: 'network-namespace' | 'none' | 'external';
  close(): Promise<void>;
}

/**
 * The synthesized app on this machine: the template read into one model (local/model), then
 * each emulator started on it: DynamoDB Local with every table (local/dynamodb), the bus and its
 * event log (local/events), each function in its own runtime with the environment the template
 * gives it and the Lambda API (local/lambda), the rules and schedules, a stream poller per event
 * source mapping, and the HTTP API with its authorizers and the `/_local/*` admin routes
 * (local/api). An app's own hooks (the Orders service's outbox statistics and faults:
 * local/apps/orders.ts) come in as `hooks`. Closed in the reverse order.
 */
export const startLocalStack = async <Faults = Record<string, never>>(options: LocalStackOptions<Faults>): Promise<LocalStack<Faults>> => {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const random = options.random ?? Math.random;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const assembly = options.assembly;
  // The API's port first: the template's queue URLs name it.
  const apiServer = await reserveLoopbackServer(options.port ?? 3000);
  const closers: (() => Promise<void>)[] = [
    async () =>
      new Promise<void>((resolve) => {
        apiServer.server.closeAllConnections();
        apiServer.server.close(() => resolve());
      }),
  ];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };

  try {
    // Read before anything else starts: a construct the local stack cannot emulate stops it here.
    const model = readAppModel(assembly.template, assembly.dir, { tablePrefix: options.tablePrefix ?? '', apiUrl: apiServer.url });
    if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
    const dynamodb = await startLocalDynamoDb({
      tables: model.tables,
      ...(options.dynamodbEndpoint === undefined ? {} : { endpoint: options.dynamodbEndpoint }),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      warn,
      log,
    });
    closers.push(dynamodb.close);
    const sqs = startLocalSqs({ queues: model.queues, ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }) });
    closers.push(async () => sqs.close());
    const sendToQueue = sqs.send;

    const hooks = options.hooks ?? (noAppHooks as unknown as AppHooksFactory<Faults>);
    const app = await hooks({ model, dynamodb: dynamodb.client, dynamodbEndpoint: dynamodb.endpoint, log, random });
    const events = await startLocalEvents({
      random,
      log,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(app.entryFault === undefined ? {} : { entryFault: app.entryFault }),
      ...(app.beforeRespond === undefined ? {} : { beforeRespond: app.beforeRespond }),
    });
    closers.push(async () => events.bus.close());
    closers.push(async () => app.close?.());

    const lambda = await startLocalLambda({
      functions: model.functions,
      baseEnvironment: {
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
        AWS_ENDPOINT_URL_SQS: apiServer.url,
        // Local tooling may run on Node 20; the Lambda runtime is Node 22.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        // No X-Ray daemon here: the Powertools Tracer stays off (it would log "Failed to get the
        // current sub/segment" on every captured SDK call should the runtime look like Lambda's).
        POWERTOOLS_TRACE_ENABLED: 'false',
      },
      environmentOf: (fn) => ({
        AWS_ENDPOINT_URL_EVENTBRIDGE: `${events.bus.endpoint}/fn/${fn.name}`,
        ...app.environmentOf?.(fn),
        ...options.environmentOverrides,
      }),
      functionLog: options.functionLog ?? ((name: string, line: string) => log(`[${name}] ${line}`)),
      injectFault: (fn) => app.injectFault?.(fn),
      log,
      sendToQueue,
    });
    closers.push(lambda.close);

    const rules = startLocalRules({
      rules: model.rules,
      events,
      functionName: (logicalId) => lambda.functionOf(logicalId).spec.name,
      invokeAsync: lambda.invokeAsync,
      log,
      sendToQueue,
    });
    closers.push(async () => rules.close());

    const pollers = await startStreamPollers({
      mappings: model.streamMappings,
      tables: model.tables,
      dynamodb: dynamodb.client,
      streams: dynamodb.streams,
      functionOf: lambda.functionOf,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      pollIntervalMs: options.pollIntervalMs ?? 250,
      log,
      sendToQueue,
      beforeBatch: (mapping, event) => app.beforeStreamBatch?.(mapping, event),
    });
    closers.push(async () => {
      for (const { poller } of pollers.toReversed()) await poller.stop().catch(() => undefined);
    });
    app.started?.({ functions: lambda.functions, pollers, setBusFailureRate: (rate) => events.bus.setFaults({ failureRate: rate }) });

    const stackName = assembly.stackName ?? constructPathOf(Object.values(model.template.Resources)[0])?.split('/')[0] ?? 'LocalStack';
    const cloudformation = localCloudFormation({ stackName, outputs: model.outputs });
    const api = await startLocalApi({
      model,
      functionOf: lambda.functionOf,
      server: apiServer,
      aws: { sqs: sqs.handle, query: cloudformation.handle, lambda: lambda.handleInvoke },
      log,
      admin: {
        health: () => ({
          dynamodb: true,
          streamPollers: pollers.length,
          bus: true,
          schedules: rules.rules.filter((rule) => rule.schedule !== undefined).length,
        }),
        events: (aggregateId) =>
          events.events
            .filter((accepted) => aggregateId === undefined || (accepted.event.detail as { aggregateId?: string }).aggregateId === aggregateId)
            .map((accepted) => accepted.event),
        outbox: () => app.outbox(),
        faults: () => app.faults,
        setFaults: (body) => app.setFaults(body),
        invoke: async (name, body) => {
          const fn = lambda.functions.get(name);
          if (fn === undefined) return { found: false };
          const scheduled = rules.rules.find((rule) => rule.schedule !== undefined && rule.targets.some((t) => t.functionName === name));
          const event = scheduled === undefined ? (body ?? {}) : { ...rules.scheduledEvent(scheduled.logicalId), ...(body as object) };
          return { found: true, result: await fn.invoke(event) };
        },
      },
    });
    closers.push(async () => api.close());

    return {
      url: api.url,
      stackName,
      dynamodbEndpoint: dynamodb.endpoint,
      eventBridgeEndpoint: events.bus.endpoint,
      lambdaEndpoint: lambda.endpoint,
      template: model.template,
      tables: Object.fromEntries(model.tables.map((table) => [table.logicalId, table.tableName])),
      functions: lambda.functions,
      pollers,
      rules: rules.rules,
      bus: events.bus,
      faults: app.faults,
      queues: sqs.received,
      events: events.events,
      issuer: api.issuer,
      routeAuthorization: new Map(model.httpRoutes.map((route) => [route.routeKey, route.authorization])),
      dynamodbIsolation: dynamodb.isolation,
      close,
    };
  } catch (error: unknown) {
    await close();
    throw error;
  }
};
