import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeleteItemCommand, DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, DynamoDBBatchResponse } from 'aws-lambda';
import { z } from 'zod';
import { ORDER_CHANGES_INDEX } from '../lambdas/adapters/order-changes';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb/engine';
import { type DynamoDbProxy, startDynamoDbProxy } from './dynamodb/proxy';
import { type EventPattern, matchesPattern } from './event-pattern';
import { type AcceptedEvent, type DeliveredEvent, type LocalEventBridge, type WireEntry, startLocalEventBridge } from './events/bus';
import { FunctionError, LocalFunction, type LocalFunctionSpec } from './lambda/functions';
import { type LocalRoute, type RouteAuthorizer, startLocalHttpApi } from './api/http-api';
import { type LocalIssuer, type SigningKey, createSigningKey, localIssuer, tokenOf, verifyJwt } from './api/jwt-authorizer';
import { AsyncInvocations, startLocalLambdaApi } from './lambda/api';
import { type Schedule, parseSchedule } from './schedule';
import { PacedValue, pacedLoop } from './paced';
import { StreamPoller } from './lambda/stream-poller';
import { type CloudAssembly, synthesizeApp } from './synth';
import {
  type CfnResource,
  type CfnTemplate,
  DEFAULT_ASYNC_INVOKE,
  asyncInvokeSettingsOf,
  type RouteAuthorization,
  createTablesFromTemplate,
  jwtAuthorizersOf,
  ordersFunctionsOf,
  routeAuthorizationsOf,
  streamMappingsOf,
} from './template';

export interface LocalStackOptions {
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** Where DynamoDB data, the event log and stream checkpoints live. @default - in memory, nothing kept */
  readonly dataDir?: string;
  /** Use this DynamoDB Local instead of starting one (tests share one). @default - start one */
  readonly dynamodbEndpoint?: string;
  /** Prefix of the local table names. @default '' */
  readonly tablePrefix?: string;
  /** @default - synthesize now (reusing cdk.out when the sources have not changed) */
  readonly assembly?: CloudAssembly;
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

export interface LocalFaults {
  eventBridgeFailureRate: number;
  relayCrashAfterPublishRate: number;
  relayPaused: boolean;
  /** Orders whose entries the bus refuses with `InvalidArgument`, a non-retryable code. */
  eventBridgeRejectAggregateIds: string[];
  /** Share of the projector's invocations (rule deliveries, `Invoke`) that fail before it runs. */
  projectorFailureRate: number;
  /** The reconciler's queries on the orders table's change index answer `InternalServerError`. */
  auditFails: boolean;
}

/** Every fault off: how the stack starts, and what a `PUT` leaves out. */
export const noFaults = (): LocalFaults => ({
  eventBridgeFailureRate: 0,
  relayCrashAfterPublishRate: 0,
  relayPaused: false,
  eventBridgeRejectAggregateIds: [],
  projectorFailureRate: 0,
  auditFails: false,
});

export interface LocalStack {
  readonly url: string;
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
  readonly faults: LocalFaults;
  /** Messages that reached each local queue (failure destinations, dead-letter queues), by logical id. */
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

export interface LocalRule {
  readonly logicalId: string;
  readonly eventBusName?: string;
  readonly pattern?: EventPattern;
  readonly schedule?: Schedule;
  readonly targets: readonly {
    readonly functionName: string;
    readonly input?: unknown;
    /**
     * The target's retry policy and dead-letter queue, as the template has them. They cover
     * failures to invoke the function, which a local function never has: a function error is
     * retried per the function's EventInvokeConfig (rule targets are invoked asynchronously).
     */
    readonly maxRetryAttempts: number;
    readonly maxEventAgeSeconds: number;
    readonly deadLetterQueue?: string;
  }[];
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/**
 * The synthesized app on this machine: DynamoDB Local with every table of the template, each
 * function's bundle in its own runtime with the environment the template gives it, the HTTP API
 * routes, a stream poller per event source mapping, the local EventBridge with the template's
 * rules and schedules, and the `/_local/*` admin routes.
 */
export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const random = options.random ?? Math.random;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const assembly = options.assembly ?? (await synthesizeApp());
  const { template } = assembly;
  // Read first: an authorizer the local stack cannot emulate stops it before anything starts.
  const routeAuthorization = routeAuthorizationsOf(template);
  const jwtAuthorizers = jwtAuthorizersOf(template);
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };

  try {
    if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
    let engine: DynamoDbLocal | undefined;
    if (options.dynamodbEndpoint === undefined) {
      engine = await startDynamoDbLocal({ warn, ...(options.dataDir === undefined ? {} : { dbPath: path.join(options.dataDir, 'dynamodb') }) });
      closers.push(async () => engine?.stop());
    }
    const dynamodbEndpoint = options.dynamodbEndpoint ?? (engine as DynamoDbLocal).endpoint;
    const sdk = { region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const dynamodb = new DynamoDBClient({ ...sdk, endpoint: dynamodbEndpoint });
    const streams = new DynamoDBStreamsClient({ ...sdk, endpoint: dynamodbEndpoint });
    closers.push(async () => {
      dynamodb.destroy();
      streams.destroy();
    });
    const tables = await createTablesFromTemplate(dynamodb, template, options.tablePrefix ?? '');

    // The event log: what the bus accepted, kept across restarts when there is a data folder.
    const eventLog = options.dataDir === undefined ? undefined : path.join(options.dataDir, 'events.jsonl');
    const events: AcceptedEvent[] =
      eventLog !== undefined && existsSync(eventLog)
        ? readFileSync(eventLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as AcceptedEvent)
        : [];

    const faults: LocalFaults = noFaults();
    let rejectedAggregates = new Set<string>();
    const queues = new Map<string, unknown[]>();
    const sendToQueue = (logicalId: string, message: unknown): void => {
      queues.set(logicalId, [...(queues.get(logicalId) ?? []), message]);
    };
    const functions = new Map<string, LocalFunction>();
    const byLogicalId = new Map<string, LocalFunction>();
    const rules: LocalRule[] = [];
    const roles = ordersFunctionsOf(template);
    const nameOfRole = (logicalId: string | undefined): string | undefined =>
      logicalId === undefined ? undefined : byLogicalId.get(logicalId)?.spec.name;

    // `relayCrashAfterPublishRate` is a share of relay invocations: each one rolls once as it
    // starts, and a doomed one dies after one of its PutEvents calls (chosen at random) succeeds.
    let relayCrash: { atCall: number; calls: number } | undefined;
    const bus = await startLocalEventBridge({
      region: REGION,
      account: ACCOUNT,
      random,
      entryFault: (entry) => {
        if (rejectedAggregates.size === 0) return undefined;
        const aggregateId = aggregateIdOf(entry);
        if (aggregateId === undefined || !rejectedAggregates.has(aggregateId)) return undefined;
        log(`fault  bus refused ${entry.DetailType ?? ''} ${aggregateId} (eventBridgeRejectAggregateIds)`);
        return {
          code: 'InvalidArgument',
          message: `Parameter Detail is not valid. Reason: the entries of ${aggregateId} are refused (local fault eventBridgeRejectAggregateIds).`,
        };
      },
      onAccepted: (accepted) => {
        events.push(accepted);
        if (eventLog !== undefined) appendFileSync(eventLog, `${JSON.stringify(accepted)}\n`);
        const detail = accepted.event.detail as { aggregateId?: string; version?: number };
        log(`event  ${accepted.event['detail-type']} ${detail.aggregateId ?? ''} v${detail.version ?? '?'} on ${accepted.eventBusName}`);
        for (const rule of rules) {
          if (rule.pattern !== undefined && (rule.eventBusName ?? 'default') === accepted.eventBusName && matchesPattern(rule.pattern, accepted.event)) {
            for (const target of rule.targets) deliverToTarget(target, accepted.event);
          }
        }
      },
      beforeRespond: ({ caller, accepted }) => {
        const relay = caller === undefined ? undefined : functions.get(caller);
        if (caller !== nameOfRole(roles.relay) || accepted === 0 || relay === undefined || relayCrash === undefined) return 'respond';
        relayCrash.calls += 1;
        if (relayCrash.calls < relayCrash.atCall) return 'respond';
        relayCrash = undefined;
        log('fault  relay runtime killed after its events were accepted (relayCrashAfterPublishRate)');
        relay.crash();
        return 'drop';
      },
    });
    closers.push(async () => bus.close());

    // Lambda's asynchronous invocations (rule targets, `Invoke` with `Event`), per each
    // function's EventInvokeConfig, with short local waits between retries.
    const asyncSettings = asyncInvokeSettingsOf(template);
    const asyncInvocations = new AsyncInvocations({
      settingsOf: (fn) => asyncSettings.get(fn.spec.logicalId) ?? DEFAULT_ASYNC_INVOKE,
      onFailure: (fn, record, queue) => {
        log(
          `async  ${fn.spec.name} gave up after ${record.requestContext.approximateInvokeCount} attempts ` +
            `(${record.requestContext.condition}): ${record.responsePayload?.errorMessage ?? ''}${queue === undefined ? '' : ` -> ${queue}`}`,
        );
        if (queue !== undefined) sendToQueue(queue, record);
      },
    });
    const lambdaApi = await startLocalLambdaApi({
      functionNamed: (name) => functions.get(name),
      asyncInvocations,
      onResponse: ({ functionName, invocationType, status }) => log(`lambda Invoke ${functionName} ${invocationType} ${status}`),
    });

    // The reconciler's DynamoDB calls go through a proxy that can fail the Orders audit's queries.
    let reconcilerDynamoDb: DynamoDbProxy | undefined;
    if (roles.reconciler !== undefined) {
      reconcilerDynamoDb = await startDynamoDbProxy({
        target: dynamodbEndpoint,
        refuse: ({ operation, body }) => {
          if (!faults.auditFails || body?.IndexName !== ORDER_CHANGES_INDEX.indexName) return undefined;
          log(`fault  reconciler ${operation ?? ''} on ${ORDER_CHANGES_INDEX.indexName} refused (auditFails)`);
          return { status: 500, code: 'InternalServerError', message: 'Injected by the local fault auditFails.' };
        },
      });
      closers.push(async () => reconcilerDynamoDb?.close());
    }

    // Every resource a function's environment can name, resolved to its local value.
    const resolve = resolver(template, tables, bus.endpoint);
    const baseEnvironment = {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
      // Local tooling may run on Node 20; the Lambda runtime is Node 22.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const functionLog = options.functionLog ?? ((name: string, line: string) => log(`[${name}] ${line}`));
    for (const spec of functionSpecs(template, assembly.dir, resolve)) {
      const isProjector = spec.logicalId === roles.projector;
      const fn = new LocalFunction(
        {
          ...spec,
          environment: {
            ...spec.environment,
            AWS_ENDPOINT_URL_EVENTBRIDGE: `${bus.endpoint}/fn/${spec.name}`,
            ...(spec.logicalId === roles.reconciler && reconcilerDynamoDb !== undefined
              ? { AWS_ENDPOINT_URL_DYNAMODB: reconcilerDynamoDb.endpoint }
              : {}),
            ...options.environmentOverrides,
          },
        },
        baseEnvironment,
        functionLog,
        () => {
          if (!isProjector || faults.projectorFailureRate <= 0 || random() >= faults.projectorFailureRate) return undefined;
          log(`fault  ${spec.name} invocation failed before it ran (projectorFailureRate)`);
          return new FunctionError(spec.name, 'Error', 'Injected by the local fault projectorFailureRate.');
        },
      );
      functions.set(spec.name, fn);
      byLogicalId.set(spec.logicalId, fn);
      closers.push(async () => fn.close());
    }
    // Closed before the functions: nothing invokes a function once it is gone.
    closers.push(async () => {
      asyncInvocations.stop();
      await lambdaApi.close();
    });
    const functionOf = (logicalId: string): LocalFunction => {
      const fn = byLogicalId.get(logicalId);
      if (fn === undefined) throw new Error(`The template names a function ${logicalId} that it does not define.`);
      return fn;
    };

    // EventBridge invokes a Lambda target asynchronously: once Lambda has the event, retries and
    // the failure destination are the function's (EventInvokeConfig). The rule's retry policy and
    // dead-letter queue cover failures to invoke at all, which a local function never has.
    const deliverToTarget = (target: LocalRule['targets'][number], event: DeliveredEvent): void => {
      const fn = functions.get(target.functionName);
      if (fn !== undefined) asyncInvocations.invoke(fn, target.input ?? event);
    };

    rules.push(...rulesOf(template, resolve, byLogicalId));
    const timers: NodeJS.Timeout[] = [];
    for (const rule of rules) {
      if (rule.schedule === undefined) continue;
      const schedule = rule.schedule;
      const arm = (after: Date): void => {
        const next = schedule.next(after);
        timers.push(
          setTimeout(() => {
            for (const target of rule.targets) deliverToTarget(target, scheduledEvent(rule.logicalId));
            arm(next);
          }, Math.max(0, next.getTime() - Date.now())),
        );
      };
      arm(new Date());
    }
    closers.push(async () => timers.forEach(clearTimeout));

    // DynamoDB Local's TTL sweep misses items that are in none of a table's GSIs (AWS deletes
    // every expired item); do its work for those tables, with the same REMOVE record AWS writes.
    const ttlTables = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
      .map(([logicalId, r]) => ({ logicalId, props: r.Properties as { TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean }; GlobalSecondaryIndexes?: unknown[]; KeySchema: { AttributeName: string }[] } }))
      .filter(({ props }) => props.TimeToLiveSpecification?.Enabled === true && (props.GlobalSecondaryIndexes ?? []).length > 0);
    // Paced (local/paced.ts): a full scan each time, never overlapping, at most ~10% of the engine's time.
    const ttlLoop = pacedLoop(
      async () => {
        for (const { logicalId, props } of ttlTables) {
          const count = await expireItems(dynamodb, tables[logicalId] ?? '', props.TimeToLiveSpecification?.AttributeName ?? '', props.KeySchema.map((k) => k.AttributeName));
          if (count > 0) log(`ttl    deleted ${count} expired items from ${tables[logicalId]}`);
        }
      },
      { minIntervalMs: 2000, share: 0.1 },
    );
    closers.push(() => ttlLoop.stop());

    // One poller per stream mapping, resuming where it left off before a restart.
    const checkpointFile = options.dataDir === undefined ? undefined : path.join(options.dataDir, 'stream-checkpoints.json');
    const checkpoints: Record<string, Record<string, string>> =
      checkpointFile !== undefined && existsSync(checkpointFile) ? (JSON.parse(readFileSync(checkpointFile, 'utf8')) as never) : {};
    const pollers: { functionName: string; poller: StreamPoller }[] = [];
    for (const mapping of streamMappingsOf(template)) {
      const fn = functionOf(mapping.functionLogicalId);
      const tableName = tables[mapping.tableLogicalId];
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
      const streamArn = Table?.LatestStreamArn;
      if (streamArn === undefined) throw new Error(`Table ${tableName} has no stream for ${fn.spec.name}.`);
      const key = `${mapping.tableLogicalId}->${mapping.functionLogicalId}`;
      const poller = new StreamPoller({
        client: streams,
        streamArn,
        region: REGION,
        batchSize: mapping.batchSize,
        maxBatchingWindowMs: mapping.maxBatchingWindowMs,
        filters: mapping.filters,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        bisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
        maxRetryAttempts: mapping.maxRetryAttempts,
        maxRecordAgeSeconds: mapping.maxRecordAgeSeconds,
        pollIntervalMs: options.pollIntervalMs ?? 250,
        handler: async (event) => {
          if (mapping.functionLogicalId === roles.relay) {
            const calls = Math.max(1, Math.ceil(event.Records.length / 10));
            relayCrash = random() < faults.relayCrashAfterPublishRate ? { atCall: 1 + Math.floor(random() * calls), calls: 0 } : undefined;
          }
          return (await fn.invoke(event)) as DynamoDBBatchResponse | undefined;
        },
        onFunctionError: (error) => log(`stream ${fn.spec.name} failed: ${error instanceof Error ? error.message : String(error)}`),
        onFailure: (metadata) => {
          const queue = mapping.onFailureQueueLogicalId;
          log(`stream ${fn.spec.name} gave up on ${metadata.DDBStreamBatchInfo.batchSize} records (${metadata.requestContext.condition})`);
          if (queue !== undefined) sendToQueue(queue, metadata);
        },
        checkpoints: checkpoints[key] ?? {},
        onCheckpoint: (shardId, sequenceNumber) => {
          checkpoints[key] = { ...checkpoints[key], [shardId]: sequenceNumber };
          if (checkpointFile !== undefined) writeFileSync(checkpointFile, JSON.stringify(checkpoints));
        },
      });
      poller.start();
      pollers.push({ functionName: fn.spec.name, poller });
      closers.push(async () => poller.stop());
    }

    const applyFaults = (): void => {
      bus.setFaults({ failureRate: faults.eventBridgeFailureRate });
      rejectedAggregates = new Set(faults.eventBridgeRejectAggregateIds);
      for (const { functionName, poller } of pollers) {
        if (functionName === nameOfRole(roles.relay)) poller.setPaused(faults.relayPaused);
      }
    };

    const outboxLogicalId = Object.keys(tables).find((logicalId) =>
      String(template.Resources[logicalId]?.Metadata?.['aws:cdk:path'] ?? '').endsWith('/Outbox/Table/Resource'),
    );
    const outboxTable = outboxLogicalId === undefined ? undefined : tables[outboxLogicalId];
    // The counts scan (the pending index, the whole outbox for published): on a grown table or a
    // long backlog a count is reused while young, so polling them never starves the app (local/paced.ts).
    const publishedCount = outboxTable === undefined ? undefined : new PacedValue(() => countPublished(dynamodb, outboxTable), { share: 0.1, freshUnderMs: 250 });
    const pendingStats =
      outboxTable === undefined ? undefined : new PacedValue(() => outboxStats(dynamodb, outboxTable, outboxIndexes.includes(PARKED_INDEX)), { share: 0.1, freshUnderMs: 250 });
    const outboxIndexes = ((template.Resources[outboxLogicalId ?? '']?.Properties?.GlobalSecondaryIndexes as { IndexName: string }[] | undefined) ?? []).map(
      (index) => index.IndexName,
    );

    // The local issuer: a key pair made now; its URL names the port, known once the API listens.
    const signingKey = await createSigningKey();
    const audience = [...new Set([...jwtAuthorizers.values()].flatMap((authorizer) => authorizer.audience.map(resolve)))];
    let issuer: LocalIssuer | undefined;
    let allowedHosts = new Set<string>();

    const admin = adminRoutes({
      health: () => ({
        dynamodb: true,
        streamPollers: pollers.length,
        bus: true,
        schedules: rules.filter((rule) => rule.schedule !== undefined).length,
      }),
      events: (aggregateId) =>
        events
          .filter((accepted) => aggregateId === undefined || (accepted.event.detail as { aggregateId?: string }).aggregateId === aggregateId)
          .map((accepted) => accepted.event),
      outbox: async () => {
        if (pendingStats === undefined) return undefined;
        const { pending, parked, oldestPendingSince } = await pendingStats.get();
        const oldestPendingAgeMs = oldestPendingSince === undefined ? null : Date.now() - Date.parse(oldestPendingSince);
        return { pending, published: await publishedCount?.get(), parked, oldestPendingAgeMs };
      },
      faults: () => faults,
      // A PUT states the whole set: a fault it leaves out is off (CONTRACT.md).
      setFaults: (next) => {
        Object.assign(faults, noFaults(), next);
        applyFaults();
        log(`fault  ${JSON.stringify(faults)}`);
        return faults;
      },
      invoke: async (name, body) => {
        const fn = functions.get(name);
        if (fn === undefined) return { found: false };
        const scheduled = rules.find((rule) => rule.schedule !== undefined && rule.targets.some((t) => t.functionName === name));
        const event = scheduled === undefined ? (body ?? {}) : { ...scheduledEvent(scheduled.logicalId), ...(body as object) };
        return { found: true, result: await fn.invoke(event) };
      },
      issuer: () => issuer,
      isAllowedHost: (host) => host !== undefined && allowedHosts.has(host.toLowerCase()),
    });

    const authorizerOf = (routeKey: string): RouteAuthorizer | undefined => {
      const rule = routeAuthorization.get(routeKey);
      const authorizer = rule?.authorizerLogicalId === undefined ? undefined : jwtAuthorizers.get(rule.authorizerLogicalId);
      if (rule === undefined || authorizer === undefined) return undefined;
      const accepted = authorizer.audience.map(resolve);
      return jwtRouteAuthorizer(signingKey, () => issuer?.issuer, accepted, rule, authorizer.identitySource);
    };
    const api = await startLocalHttpApi([...admin, ...httpRoutes(template, functionOf, authorizerOf)], {
      port: options.port ?? 3000,
      onResponse: ({ method, path: requestPath, status, ms }) => log(`http   ${method} ${requestPath} ${status} ${ms}ms`),
    });
    closers.push(async () => api.close());
    const { port } = new URL(api.url);
    issuer = localIssuer(signingKey, `${api.url}/_local/issuer`, audience);
    allowedHosts = new Set(['localhost', '127.0.0.1', '[::1]'].map((host) => `${host}:${port}`));

    return {
      url: api.url,
      dynamodbEndpoint,
      eventBridgeEndpoint: bus.endpoint,
      lambdaEndpoint: lambdaApi.endpoint,
      template,
      tables,
      functions,
      pollers,
      rules,
      bus,
      faults,
      queues,
      events,
      issuer,
      routeAuthorization,
      dynamodbIsolation: engine === undefined ? 'external' : engine.isolation,
      close,
    };
  } catch (error: unknown) {
    await close();
    throw error;
  }
};

/** A short, stable name for a function: its construct id in kebab case (`PlaceOrder` -> `place-order`). */
const friendlyName = (resource: CfnResource, logicalId: string): string => {
  const parts = String(resource.Metadata?.['aws:cdk:path'] ?? logicalId).split('/');
  const id = parts.at(-1) === 'Resource' ? parts.at(-2) : parts.at(-1);
  return (id ?? logicalId).replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
};

type Resolve = (value: unknown) => string;

/** Resolves the intrinsic functions a local environment needs: Ref, Fn::GetAtt, Fn::Join. */
const resolver = (template: CfnTemplate, tables: Record<string, string>, busEndpoint: string): Resolve => {
  const nameOf = (logicalId: string): string => {
    const resource = template.Resources[logicalId];
    if (resource === undefined) throw new Error(`The template has no resource ${logicalId}.`);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return tables[logicalId] ?? logicalId;
      case 'AWS::Lambda::Function':
        return friendlyName(resource, logicalId);
      case 'AWS::SQS::Queue':
        return `${busEndpoint}/queues/${logicalId}`;
      default:
        return logicalId;
    }
  };
  const arnOf = (logicalId: string, attribute: string): string => {
    const resource = template.Resources[logicalId];
    const name = nameOf(logicalId);
    switch (resource?.Type) {
      case 'AWS::DynamoDB::Table':
        return attribute === 'StreamArn'
          ? `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}/stream/local`
          : `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${logicalId}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
      default:
        return `arn:aws:local:${REGION}:${ACCOUNT}:${logicalId}`;
    }
  };
  const resolve: Resolve = (value) => {
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    if (typeof value === 'object' && value !== null) {
      const intrinsic = value as Record<string, unknown>;
      if (typeof intrinsic.Ref === 'string') {
        if (intrinsic.Ref === 'AWS::Region') return REGION;
        if (intrinsic.Ref === 'AWS::AccountId') return ACCOUNT;
        if (intrinsic.Ref === 'AWS::Partition') return 'aws';
        if (intrinsic.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
        return nameOf(intrinsic.Ref);
      }
      if (Array.isArray(intrinsic['Fn::GetAtt'])) {
        const [logicalId, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
        return arnOf(logicalId, attribute);
      }
      if (Array.isArray(intrinsic['Fn::Join'])) {
        const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
        return parts.map(resolve).join(separator);
      }
    }
    throw new Error(`The local stack cannot resolve ${JSON.stringify(value)}.`);
  };
  return resolve;
};

/** Every function of the template, pointing at the bundle `cdk synth` wrote for it. */
const functionSpecs = (template: CfnTemplate, assemblyDir: string, resolve: Resolve): LocalFunctionSpec[] =>
  Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const props = resource.Properties ?? {};
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') {
        throw new Error(`Function ${logicalId} has no bundled asset; synthesize with bundling (cdk synth).`);
      }
      const [fileName, exportName] = String(props.Handler ?? 'index.handler').split('.') as [string, string];
      const variables = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      return {
        logicalId,
        name: friendlyName(resource, logicalId),
        file: path.join(assemblyDir, assetPath, `${fileName}.js`),
        exportName,
        environment: Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolve(value)])),
        timeoutMs: Number(props.Timeout ?? 3) * 1000,
        memoryMb: Number(props.MemorySize ?? 128),
        ...(Number.isInteger(Number(props.ReservedConcurrentExecutions ?? 'none')) ? { reservedConcurrency: Number(props.ReservedConcurrentExecutions) } : {}),
      };
    });

/** The HTTP API routes of the template, each with the function its integration invokes and its authorizer. */
const httpRoutes = (
  template: CfnTemplate,
  functionOf: (logicalId: string) => LocalFunction,
  authorizerOf: (routeKey: string) => RouteAuthorizer | undefined,
): LocalRoute[] =>
  Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
    .map((route) => {
      const props = route.Properties ?? {};
      const [method, routePath] = String(props.RouteKey).split(' ') as [string, string];
      const target = JSON.stringify(props.Target ?? '');
      const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1] ?? '';
      const uri = template.Resources[integrationId]?.Properties?.IntegrationUri as { 'Fn::GetAtt'?: [string, string] } | undefined;
      const fn = functionOf(uri?.['Fn::GetAtt']?.[0] ?? '');
      const authorize = authorizerOf(String(props.RouteKey));
      return {
        method,
        path: routePath,
        functionName: fn.spec.name,
        ...(authorize === undefined ? {} : { authorize }),
        // A function error becomes API Gateway's own opaque 500, as on AWS.
        handler: async (event: APIGatewayProxyEventV2) => (await fn.invoke(event)) as APIGatewayProxyStructuredResultV2,
      };
    });

/**
 * A route's JWT authorizer, as API Gateway runs it: the token from the identity source, checked
 * against the local issuer (which stands in for the template's) and the authorizer's audience;
 * `401 {"message":"Unauthorized"}` (or `403 {"message":"Forbidden"}` without the route's scope)
 * before the function runs. Until the API listens the issuer has no URL and every token is refused.
 */
const jwtRouteAuthorizer =
  (
    key: SigningKey,
    issuerUrl: () => string | undefined,
    audience: readonly string[],
    rule: RouteAuthorization,
    source: { readonly in: 'header' | 'querystring'; readonly name: string },
  ): RouteAuthorizer =>
  async ({ headers, queryStringParameters }) => {
    const issuer = issuerUrl();
    const value = source.in === 'header' ? headers[source.name] : queryStringParameters[source.name];
    const verdict =
      issuer === undefined
        ? ({ allowed: false, statusCode: 401, wwwAuthenticate: 'Bearer error="invalid_token"' } as const)
        : await verifyJwt(tokenOf(value), key, { issuer, audience, scopes: rule.scopes });
    if (verdict.allowed) return { allow: true, authorizer: { jwt: verdict.jwt } };
    return {
      allow: false,
      response: {
        statusCode: verdict.statusCode,
        headers: { 'content-type': 'application/json', 'www-authenticate': verdict.wwwAuthenticate },
        body: JSON.stringify({ message: verdict.statusCode === 401 ? 'Unauthorized' : 'Forbidden' }),
      },
    };
  };

/** Event rules and schedules of the template, with their Lambda targets. */
const rulesOf = (template: CfnTemplate, resolve: Resolve, byLogicalId: ReadonlyMap<string, LocalFunction>): LocalRule[] =>
  Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Events::Rule')
    .filter(([, resource]) => resource.Properties?.State !== 'DISABLED')
    .map(([logicalId, resource]) => {
      const props = resource.Properties ?? {};
      const targets = ((props.Targets as Record<string, unknown>[] | undefined) ?? []).flatMap((target) => {
        const arn = target.Arn as { 'Fn::GetAtt'?: [string, string] } | undefined;
        const fn = byLogicalId.get(arn?.['Fn::GetAtt']?.[0] ?? '');
        if (fn === undefined) return [];
        const retry = (target.RetryPolicy as { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number } | undefined) ?? {};
        const dlq = (target.DeadLetterConfig as { Arn?: { 'Fn::GetAtt'?: [string, string] } } | undefined)?.Arn?.['Fn::GetAtt']?.[0];
        return [
          {
            functionName: fn.spec.name,
            ...(typeof target.Input === 'string' ? { input: JSON.parse(target.Input) as unknown } : {}),
            maxRetryAttempts: retry.MaximumRetryAttempts ?? 185,
            maxEventAgeSeconds: retry.MaximumEventAgeInSeconds ?? 86_400,
            ...(dlq === undefined ? {} : { deadLetterQueue: dlq }),
          },
        ];
      });
      return {
        logicalId,
        ...(props.EventBusName === undefined ? {} : { eventBusName: resolve(props.EventBusName) }),
        ...(props.EventPattern === undefined ? {} : { pattern: props.EventPattern as EventPattern }),
        ...(typeof props.ScheduleExpression === 'string' ? { schedule: parseSchedule(props.ScheduleExpression) } : {}),
        targets,
      };
    });

const scheduledEvent = (ruleLogicalId: string): DeliveredEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/${ruleLogicalId}`],
  detail: {},
});

/** Deletes the items whose TTL attribute is in the past (a scan: local only). */
const expireItems = async (client: DynamoDBClient, tableName: string, attribute: string, keys: string[]): Promise<number> => {
  const now = String(Math.floor(Date.now() / 1000));
  let deleted = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': attribute },
        ExpressionAttributeValues: { ':now': { N: now } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const key = Object.fromEntries(keys.map((name) => [name, item[name] as never]));
      await client
        .send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': attribute },
            ExpressionAttributeValues: { ':now': { N: now } },
          }),
        )
        .then(() => {
          deleted += 1;
        })
        .catch(() => undefined);
    }
    start = page.LastEvaluatedKey as never;
  } while (start !== undefined);
  return deleted;
};

/** The outbox's sparse index of parked items (added with parking; absent from older templates). */
const PARKED_INDEX = 'parked';

/** Pending and parked counts and when the oldest pending item was written (scans: local only). */
const outboxStats = async (
  client: DynamoDBClient,
  tableName: string,
  hasParkedIndex: boolean,
): Promise<{ pending: number; parked: number; oldestPendingSince: string | undefined }> => {
  let pending = 0;
  let oldest: string | undefined;
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, IndexName: 'pending', ProjectionExpression: 'pendingSince', ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      pending += 1;
      const since = item.pendingSince?.S;
      if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;
    }
    start = page.LastEvaluatedKey as never;
  } while (start !== undefined);
  let parked = 0;
  start = undefined;
  while (hasParkedIndex) {
    const page = await client.send(new ScanCommand({ TableName: tableName, IndexName: PARKED_INDEX, Select: 'COUNT', ExclusiveStartKey: start }));
    parked += page.Count ?? 0;
    start = page.LastEvaluatedKey as never;
    if (start === undefined) break;
  }
  return { pending, parked, oldestPendingSince: oldest };
};

/** Published items in the outbox (a scan of the whole table: local only; see `PacedValue`). */
const countPublished = async (client: DynamoDBClient, tableName: string): Promise<number> => {
  let published = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        Select: 'COUNT',
        FilterExpression: '#status = :published',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':published': { S: 'PUBLISHED' } },
        ExclusiveStartKey: start,
      }),
    );
    published += page.Count ?? 0;
    start = page.LastEvaluatedKey as never;
  } while (start !== undefined);
  return published;
};

const faultsBody = z.strictObject({
  eventBridgeFailureRate: z.number().min(0).max(1).optional(),
  relayCrashAfterPublishRate: z.number().min(0).max(1).optional(),
  relayPaused: z.boolean().optional(),
  eventBridgeRejectAggregateIds: z.array(z.string().min(1).max(256)).max(10_000).optional(),
  projectorFailureRate: z.number().min(0).max(1).optional(),
  auditFails: z.boolean().optional(),
});

const tokenBody = z.strictObject({
  sub: z.string().min(1).max(255),
  staff: z.boolean().default(false),
  expiresInSeconds: z.number().int().min(1).max(7 * 24 * 3600).default(3600),
});

interface AdminOperations {
  health(): Record<string, unknown>;
  events(aggregateId: string | undefined): DeliveredEvent[];
  outbox(): Promise<unknown>;
  faults(): LocalFaults;
  setFaults(next: Partial<LocalFaults>): LocalFaults;
  invoke(name: string, body: unknown): Promise<{ found: boolean; result?: unknown }>;
  /** The local issuer, once the API listens. */
  issuer(): LocalIssuer | undefined;
  /** Whether a `Host` header names this stack: localhost, 127.0.0.1 or [::1], with its port. */
  isAllowedHost(host: string | undefined): boolean;
}

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
const adminRoutes = (ops: AdminOperations): LocalRoute[] => {
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
      const parsed = faultsBody.safeParse(parseBody(event) ?? {});
      if (!parsed.success) return validationFailed('The faults are not valid.', parsed.error);
      const next = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
      return json(200, ops.setFaults(next));
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
      if (issuer === undefined) return json(503, { error: { code: 'NOT_READY', message: 'The local issuer is not ready yet.' } });
      return json(200, { token: await issuer.mintToken(parsed.data) });
    }),
    // The issuer's discovery document and keys, as an OIDC issuer publishes them.
    route('GET', '/_local/issuer/.well-known/openid-configuration', async () => {
      const issuer = ops.issuer();
      return issuer === undefined
        ? json(503, { error: { code: 'NOT_READY', message: 'The local issuer is not ready yet.' } })
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
        ? json(503, { error: { code: 'NOT_READY', message: 'The local issuer is not ready yet.' } })
        : json(200, await issuer.jwks());
    }),
  ];
};

/** The `aggregateId` of an entry's `Detail`, when it is JSON that has one. */
const aggregateIdOf = (entry: WireEntry): string | undefined => {
  try {
    const detail = JSON.parse(entry.Detail ?? '') as { aggregateId?: unknown } | null;
    return typeof detail?.aggregateId === 'string' ? detail.aggregateId : undefined;
  } catch {
    return undefined;
  }
};
