/**
 * The one file of the local stack that knows the app is the Orders service. Everything else in
 * local/ runs any CDK app's template as AWS would; this adds what CONTRACT.md promises on top for
 * the Orders service: the outbox statistics (`GET /_local/outbox`) and the faults
 * (`PUT /_local/faults`) that hook its relay, its projector and its audit. The service's
 * resources are found one way: by their construct paths in the `OrdersService` stack
 * (`ORDERS_PATHS`); a template without them (another app) gets none of these hooks, and its
 * faults act on the bus alone.
 */
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { z } from 'zod';
import { ORDER_CHANGES_INDEX } from '../../lambdas/adapters/order-changes';
import { OUTBOX_PARKED_INDEX, OUTBOX_PENDING_INDEX, type OutboxStatus } from '../../lambdas/outbox/item';
import { OrdersServiceStack } from '../../lib/orders-service-stack';
import { type DynamoDbProxy, startDynamoDbProxy } from '../dynamodb/proxy';
import type { WireEntry } from '../events/bus';
import { FunctionError, type LocalFunction } from '../lambda/functions';
import type { MappedPoller } from '../lambda/streams';
import { type CfnTemplate, constructPathOf } from '../model/template';
import { PacedValue } from '../paced';
import type { AppHooks, AppHooksContext } from './hooks';

import { ORDERS_STACK } from '../../lib/ops-outputs';

export { ORDERS_STACK };

/** The Orders service's resources the local stack acts on, by construct path from the stack down. */
export const ORDERS_PATHS = {
  ordersTable: 'OrdersTable',
  outboxTable: 'Outbox/Table',
  idempotencyTable: 'IdempotencyTable',
  readModelTable: 'ReadModel/Table',
  relay: 'Outbox/Relay',
  reconciler: 'Outbox/Reconciler',
  projector: 'ReadModel/Projector',
  projectorDeadLetters: 'ReadModel/DeadLetters',
} as const;

export type OrdersResource = keyof typeof ORDERS_PATHS;

/** The logical id of each Orders resource the template has (`OrdersService/<path>/Resource`). */
export const ordersResourcesOf = (template: CfnTemplate): Partial<Record<OrdersResource, string>> => {
  const byPath = new Map(Object.entries(template.Resources).map(([logicalId, resource]) => [constructPathOf(resource), logicalId]));
  const found: Partial<Record<OrdersResource, string>> = {};
  for (const [name, constructPath] of Object.entries(ORDERS_PATHS) as [OrdersResource, string][]) {
    const logicalId = byPath.get(`${ORDERS_STACK}/${constructPath}/Resource`);
    if (logicalId !== undefined) found[name] = logicalId;
  }
  return found;
};

/** The local names of the Orders service's tables. */
export interface OrdersTables {
  readonly orders: string;
  readonly outbox: string;
  readonly idempotency: string;
  readonly readModel: string;
}

/** Picks the Orders service's tables out of the names the local tables were created under. */
export const ordersTablesOf = (template: CfnTemplate, names: Record<string, string>): OrdersTables => {
  const found = ordersResourcesOf(template);
  const pick = (resource: OrdersResource): string => {
    const name = names[found[resource] ?? ''];
    if (name === undefined) throw new Error(`No local table for ${ORDERS_STACK}/${ORDERS_PATHS[resource]}`);
    return name;
  };
  return { orders: pick('ordersTable'), outbox: pick('outboxTable'), idempotency: pick('idempotencyTable'), readModel: pick('readModelTable') };
};

/** The Orders service's functions that local faults act on, by logical id (absent from another app's template). */
export interface OrdersFunctions {
  /** The outbox relay (`relayPaused`, `relayCrashAfterPublishRate`). */
  readonly relay?: string;
  /** The outbox reconciler, which runs the Orders audit (`auditFails`). */
  readonly reconciler?: string;
  /** The read-model projector (`projectorFailureRate`). */
  readonly projector?: string;
}

export const ordersFunctionsOf = (template: CfnTemplate): OrdersFunctions => {
  const { relay, reconciler, projector } = ordersResourcesOf(template);
  return { ...(relay === undefined ? {} : { relay }), ...(reconciler === undefined ? {} : { reconciler }), ...(projector === undefined ? {} : { projector }) };
};

/**
 * Synthesizes the Orders stack in-process and returns its template. Bundling is skipped: the
 * template is the same, and local code runs the handler sources directly.
 */
export const synthesizeOrdersTemplate = (): CfnTemplate => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  const stack = new OrdersServiceStack(app, ORDERS_STACK);
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
};

/** `PUT /_local/faults` (CONTRACT.md). */
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

const faultsBody = z.strictObject({
  eventBridgeFailureRate: z.number().min(0).max(1).optional(),
  relayCrashAfterPublishRate: z.number().min(0).max(1).optional(),
  relayPaused: z.boolean().optional(),
  eventBridgeRejectAggregateIds: z.array(z.string().min(1).max(256)).max(10_000).optional(),
  projectorFailureRate: z.number().min(0).max(1).optional(),
  auditFails: z.boolean().optional(),
});

/** The Orders service's hooks on the emulators (inert for a template without its resources). */
export const startOrdersHooks = async (options: AppHooksContext): Promise<AppHooks<LocalFaults>> => {
  const { log, random, model } = options;
  const ids = ordersResourcesOf(model.template);
  const nameOf = (logicalId: string | undefined): string | undefined => model.functions.find((fn) => fn.logicalId === logicalId)?.name;
  const relayName = nameOf(ids.relay);
  const faults = noFaults();
  let rejectedAggregates = new Set<string>();
  let running: { functions: ReadonlyMap<string, LocalFunction>; pollers: readonly MappedPoller[]; setBusFailureRate(rate: number): void } | undefined;

  // `relayCrashAfterPublishRate` dooms that share of relay invocations: each stream batch rolls once
  // as it starts; a doomed one dies after its k-th accepted PutEvents call (k in 1..ceil(records/10))
  // and survives if it makes fewer. The next batch's roll replaces an unspent plan.
  let relayCrash: { atCall: number; calls: number } | undefined;

  // The reconciler's DynamoDB calls go through a proxy that can fail the Orders audit's queries.
  let reconcilerDynamoDb: DynamoDbProxy | undefined;
  if (ids.reconciler !== undefined) {
    reconcilerDynamoDb = await startDynamoDbProxy({
      target: options.dynamodbEndpoint,
      refuse: ({ operation, body }) => {
        if (!faults.auditFails || body?.IndexName !== ORDER_CHANGES_INDEX.indexName) return undefined;
        log(`fault  reconciler ${operation ?? ''} on ${ORDER_CHANGES_INDEX.indexName} refused (auditFails)`);
        return { status: 500, code: 'InternalServerError', message: 'Injected by the local fault auditFails.' };
      },
    });
  }

  const outboxTable = model.tables.find((table) => table.logicalId === ids.outboxTable);
  const hasParkedIndex = outboxTable?.globalSecondaryIndexes.some((index) => index.IndexName === OUTBOX_PARKED_INDEX.indexName) ?? false;
  // The counts scan (the pending index, the whole outbox for published): on a grown table or a
  // long backlog a count is reused while young, so polling them never starves the app (local/paced.ts).
  const publishedCount =
    outboxTable === undefined ? undefined : new PacedValue(() => countPublished(options.dynamodb, outboxTable.tableName), { share: 0.1, freshUnderMs: 250 });
  const pendingStats =
    outboxTable === undefined
      ? undefined
      : new PacedValue(() => outboxStats(options.dynamodb, outboxTable.tableName, hasParkedIndex), { share: 0.1, freshUnderMs: 250 });

  const applyFaults = (): void => {
    running?.setBusFailureRate(faults.eventBridgeFailureRate);
    rejectedAggregates = new Set(faults.eventBridgeRejectAggregateIds);
    for (const { functionLogicalId, poller } of running?.pollers ?? []) {
      if (functionLogicalId === ids.relay) poller.setPaused(faults.relayPaused);
    }
  };

  return {
    faults,
    setFaults: (body) => {
      const parsed = faultsBody.safeParse(body);
      if (!parsed.success) return { invalid: parsed.error };
      // A PUT states the whole set: a fault it leaves out is off (CONTRACT.md).
      const next = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
      Object.assign(faults, noFaults(), next);
      applyFaults();
      log(`fault  ${JSON.stringify(faults)}`);
      return { faults };
    },
    outbox: async () => {
      if (pendingStats === undefined) return undefined;
      const { pending, parked, oldestPendingSince } = await pendingStats.get();
      const oldestPendingAgeMs = oldestPendingSince === undefined ? null : Date.now() - Date.parse(oldestPendingSince);
      return { pending, published: await publishedCount?.get(), parked, oldestPendingAgeMs };
    },
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
    beforeRespond: ({ caller, accepted }) => {
      const relay = caller === undefined ? undefined : running?.functions.get(caller);
      if (relayName === undefined || caller !== relayName || accepted === 0 || relay === undefined || relayCrash === undefined) return 'respond';
      relayCrash.calls += 1;
      if (relayCrash.calls < relayCrash.atCall) return 'respond';
      relayCrash = undefined;
      log('fault  relay runtime killed after its events were accepted (relayCrashAfterPublishRate)');
      relay.crash();
      return 'drop';
    },
    environmentOf: (fn): Record<string, string> =>
      fn.logicalId === ids.reconciler && reconcilerDynamoDb !== undefined ? { AWS_ENDPOINT_URL_DYNAMODB: reconcilerDynamoDb.endpoint } : {},
    injectFault: (fn) => {
      if (fn.logicalId !== ids.projector || faults.projectorFailureRate <= 0 || random() >= faults.projectorFailureRate) return undefined;
      log(`fault  ${fn.name} invocation failed before it ran (projectorFailureRate)`);
      return new FunctionError(fn.name, 'Error', 'Injected by the local fault projectorFailureRate.');
    },
    beforeStreamBatch: (mapping, event) => {
      if (ids.relay === undefined || mapping.functionLogicalId !== ids.relay) return;
      const calls = Math.max(1, Math.ceil(event.Records.length / 10));
      relayCrash = random() < faults.relayCrashAfterPublishRate ? { atCall: 1 + Math.floor(random() * calls), calls: 0 } : undefined;
    },
    started: (emulators) => {
      running = emulators;
    },
    close: async () => reconcilerDynamoDb?.close(),
  };
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
      new ScanCommand({ TableName: tableName, IndexName: OUTBOX_PENDING_INDEX.indexName, ProjectionExpression: 'pendingSince', ExclusiveStartKey: start }),
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
    const page = await client.send(new ScanCommand({ TableName: tableName, IndexName: OUTBOX_PARKED_INDEX.indexName, Select: 'COUNT', ExclusiveStartKey: start }));
    parked += page.Count ?? 0;
    start = page.LastEvaluatedKey as never;
    if (start === undefined) break;
  }
  return { pending, parked, oldestPendingSince: oldest };
};

const PUBLISHED: OutboxStatus = 'PUBLISHED';

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
        ExpressionAttributeValues: { ':published': { S: PUBLISHED } },
        ExclusiveStartKey: start,
      }),
    );
    published += page.Count ?? 0;
    start = page.LastEvaluatedKey as never;
  } while (start !== undefined);
  return published;
};
