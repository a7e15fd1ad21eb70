import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type Alarm, Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, ProjectionType, StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus, type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, type Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, type Function as LambdaFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OUTBOX_KEY, OUTBOX_OCCURRED_INDEX, OUTBOX_PARKED_INDEX, OUTBOX_PENDING_INDEX, OUTBOX_TTL_ATTRIBUTE, PENDING_SHARD_CEILING } from '../lambdas/outbox/item';
import { failureQueue } from './failure-queue';
import { grantOnIndex, grantOnTable } from './grants';
import { durableTable } from './durable-table';
import { type OutboxAlarmSet, type OutboxAlarmsProps, createOutboxAlarms, notifyOnStateChanges } from './outbox-alarms';
import { type OutboxRelayProps, requireOutboxInteger, resolveRelayProps } from './outbox-relay-props';
import { ServiceFunction } from './service-function';

export type { OutboxRelayProps } from './outbox-relay-props';

/** How long a reconciler run may take; a run stops taking items 10 seconds before it. */
const RECONCILER_TIMEOUT = Duration.minutes(5);
/** How long one operator request may take; a replay does a minute of work a call unless told otherwise. */
const OPERATIONS_TIMEOUT = Duration.minutes(5);

/** The reconciler's settings: when it runs and how much it takes on. */
export interface OutboxReconcilerProps {
  /**
   * When the reconciler runs.
   * @default Schedule.rate(Duration.minutes(5))
   */
  readonly schedule?: Schedule;
  /**
   * How long an item may stay pending before the reconciler republishes it (the relay's time).
   * @default Duration.minutes(2)
   */
  readonly grace?: Duration;
  /**
   * Items republished per run at most; the rest wait for the next run (and are logged).
   * @default 1000
   */
  readonly maxItemsPerRun?: number;
  /**
   * How old the oldest pending item may get before an alarm fires (at least the grace plus one
   * minute: younger items are the relay's to publish).
   * @default - the grace period plus 15 minutes: the relay has had the grace, and three sweeps
   * at the default schedule have not published it either
   */
  readonly stalePendingAlarmAfter?: Duration;
  /**
   * The reconciler's handler module, relative to the project root. An application can pass its
   * own that adds an audit to the sweep (the Orders service does).
   * @default 'lambdas/handlers/outbox-reconciler.ts' - the sweep of pending items only
   */
  readonly entry?: string;
}

export interface TransactionalOutboxProps {
  /**
   * How many partitions the sparse pending index spreads pending items over. One index partition
   * takes about 1,000 writes a second, and every event costs two index writes (pending, then
   * published), so raise this for sustained rates above a few hundred events a second.
   * @default 4
   */
  readonly pendingIndexShards?: number;
  /**
   * What happens to the outbox table when it leaves the stack.
   * @default RemovalPolicy.RETAIN - unsent events are never deleted with a stack
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The bus the relay publishes to. The caller owns a bus it passes in, and its resource policy:
   * this construct adds none to it, so keeping other principals from putting events with
   * `eventSource` on that bus is up to the caller.
   * @default - a new custom event bus with an archive, whose resource policy lets only the outbox's
   * functions (relay, reconciler, operations) put events with `eventSource`
   */
  readonly eventBus?: IEventBus;
  /**
   * The `source` of the events this outbox publishes. On a bus this construct creates, every
   * principal but the outbox functions' roles (relay, reconciler, operations) is denied `events:PutEvents` for it, so a
   * consumer can trust that an event with this source came through the outbox.
   * @default 'orders'
   */
  readonly eventSource?: string;
  /**
   * How long the archive of a bus this construct creates keeps events for replay.
   * @default Duration.days(90)
   */
  readonly archiveRetention?: Duration;
  /** @default - see each `OutboxRelayProps` default */
  readonly relay?: OutboxRelayProps;
  /** @default - see each `OutboxReconcilerProps` default */
  readonly reconciler?: OutboxReconcilerProps;
  /**
   * The Powertools service name (and metrics namespace) of the outbox functions.
   * @default 'outbox'
   */
  readonly serviceName?: string;
  /**
   * Where every outbox alarm sends its ALARM and OK state changes (the topic that pages).
   * @default - no actions: the alarms change state in CloudWatch only
   */
  readonly alarmTopic?: ITopic;
  /** @default - see each `OutboxAlarmsProps` default */
  readonly alarms?: OutboxAlarmsProps;
}

/**
 * The outbox a service writes its events into, in the same DynamoDB transaction as its own data,
 * and the relay that carries them to EventBridge.
 *
 * Items are keyed by aggregate id and version; the table streams new images to the relay (only
 * INSERTs reach it); TTL on `expiresAt` prunes published items; the sparse `pending` index holds
 * only unsent items, oldest first per shard; the sparse `parked` index holds the events EventBridge
 * refused for good; the keys-only `occurred` index finds events by when they occurred (replays).
 * Batches the relay cannot finish go, as metadata, to `relayFailureQueue`; the items they name
 * stay pending. The operations function answers an operator's requests (the operations CLI).
 */
export class TransactionalOutbox extends Construct {
  /** The outbox table. */
  public readonly table: Table;
  /** The Powertools service name and metrics namespace of the outbox functions. */
  public readonly serviceName: string;
  /** The number of pending-index shards writers spread items over. */
  public readonly pendingIndexShards: number;
  /** The bus events are published to. */
  public readonly eventBus: IEventBus;
  /** The `source` of the outbox's events, which only the outbox functions may put on a bus this construct created. */
  public readonly eventSource: string;
  /** The archive of the bus, when this construct created the bus. */
  public readonly archive?: Archive;
  /** The relay function (DynamoDB stream to EventBridge). */
  public readonly relayFunction: ServiceFunction;
  /** Receives the metadata of stream batches the relay could not finish. */
  public readonly relayFailureQueue: Queue;
  /** Fires when anything lands in the failure queue. */
  public readonly relayFailuresAlarm: Alarm;
  /** Fires when the relay's stream falls behind (`alarms.relayIteratorAge`). */
  public readonly relayIteratorAgeAlarm: Alarm;
  /**
   * The operations function the operations CLI invokes (`status`, `parked`, `stored-events`,
   * `retry-parked`, `replay`): an operator needs `lambda:InvokeFunction` on it, not the table or the bus.
   */
  public readonly operationsFunction: ServiceFunction;
  /** The scheduled reconciler: republishes what stayed pending past the grace period. */
  public readonly reconcilerFunction: ServiceFunction;
  /** The schedule that runs the reconciler. */
  public readonly reconcilerSchedule: Rule;
  /** Fires when any item is parked (seen by the relay as it parks, or counted by the reconciler). */
  public readonly parkedItemsAlarm: Alarm;
  /** Fires when the application's audit keeps failing (the sweep runs regardless). */
  public readonly auditFailuresAlarm: Alarm;
  /** Fires when the oldest pending item is older than `reconciler.stalePendingAlarmAfter`. */
  public readonly stalePendingAlarm: Alarm;
  /** Fires when the reconciler itself keeps failing (its sweep did not finish). */
  public readonly reconcilerErrorsAlarm: Alarm;
  /** Every alarm of the outbox by what it watches, the failure queue's aside (`relayFailuresAlarm`). */
  public readonly alarmSet: OutboxAlarmSet;
  /** Every alarm of the outbox, the failure queue's included: for a dashboard, or actions of your own. */
  public readonly alarms: readonly Alarm[];

  public constructor(scope: Construct, id: string, props: TransactionalOutboxProps = {}) {
    super(scope, id);
    this.pendingIndexShards = props.pendingIndexShards ?? 4;
    const relay = resolveRelayProps(props.relay ?? {});
    const serviceName = props.serviceName ?? 'outbox';
    this.serviceName = serviceName;
    requireOutboxInteger(
      'pendingIndexShards',
      this.pendingIndexShards,
      1,
      PENDING_SHARD_CEILING,
      'Leave it unset for the default of 4. (Lowering it later is safe: the reconciler sweeps every shard up to the ceiling.)',
    );

    this.table = durableTable(this, 'Table', {
      partitionKey: { name: OUTBOX_KEY.partitionKey, type: AttributeType.STRING },
      sortKey: { name: OUTBOX_KEY.sortKey, type: AttributeType.NUMBER },
      stream: StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: OUTBOX_TTL_ATTRIBUTE,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: OUTBOX_PENDING_INDEX.indexName,
      partitionKey: { name: OUTBOX_PENDING_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: OUTBOX_PENDING_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    // Parked items only (sparse): what an operator retries, and what the parked alarm counts.
    this.table.addGlobalSecondaryIndex({
      indexName: OUTBOX_PARKED_INDEX.indexName,
      partitionKey: { name: OUTBOX_PARKED_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: OUTBOX_PARKED_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    // Every event by the day it occurred (keys only: one small index write per event, none on
    // marks): what `replay --since/--until` reads instead of a scan.
    this.table.addGlobalSecondaryIndex({
      indexName: OUTBOX_OCCURRED_INDEX.indexName,
      partitionKey: { name: OUTBOX_OCCURRED_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: OUTBOX_OCCURRED_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    this.eventSource = props.eventSource ?? 'orders';
    if (this.eventSource.trim() === '') {
      throw new Error("TransactionalOutbox: eventSource must not be empty. Leave it unset for 'orders', or pass the source your events carry.");
    }
    let ownBus: EventBus | undefined;
    if (props.eventBus === undefined) {
      const bus = new EventBus(this, 'Bus');
      ownBus = bus;
      this.archive = bus.archive('Archive', {
        description: 'Every event of the outbox bus, for replay',
        eventPattern: { account: [Stack.of(this).account] },
        retention: props.archiveRetention ?? Duration.days(90),
      });
      this.eventBus = bus;
    } else {
      this.eventBus = props.eventBus;
    }

    const failures = failureQueue(this, 'RelayFailures', {
      role: 'failure destination of the relay',
      alarmDescription: 'Stream batches the outbox relay gave up on; their items wait for the reconciler.',
    });
    this.relayFailureQueue = failures.queue;
    this.relayFailuresAlarm = failures.alarm;

    const sweepGrace = props.reconciler?.grace ?? Duration.minutes(2);
    // Every function that publishes (relay, reconciler, operations) publishes and marks alike.
    const publisherEnvironment = {
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      PUT_EVENTS_MAX_REQUEST_BYTES: String(relay.maxRequestBytes),
      PUBLISH_CONCURRENCY: String(relay.publishConcurrency),
      PUBLISH_MAX_ATTEMPTS: String(relay.publishMaxAttempts),
      PUBLISHED_RETENTION_SECONDS: String(relay.publishedRetention.toSeconds()),
    };
    this.relayFunction = new ServiceFunction(this, 'Relay', {
      entry: 'lambdas/handlers/outbox-relay.ts',
      serviceName,
      description: 'Publishes new outbox items from the DynamoDB stream to EventBridge',
      timeout: Duration.seconds(60),
      environment: {
        OUTBOX_TABLE_NAME: this.table.tableName,
        ...publisherEnvironment,
        // Older stream records may have been published by the sweep: the relay reads their status first.
        RELAY_STATUS_CHECK_AFTER_SECONDS: String(sweepGrace.toSeconds()),
      },
    });
    this.eventBus.grantPutEventsTo(this.relayFunction);
    // Marks and parks are updates; hold records are read in batches.
    grantOnTable(this.table, this.relayFunction, 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem');
    this.relayFunction.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: relay.batchSize,
        ...(relay.maxBatchingWindow === undefined ? {} : { maxBatchingWindow: relay.maxBatchingWindow }),
        bisectBatchOnError: true,
        retryAttempts: relay.retryAttempts,
        maxRecordAge: relay.maxRecordAge,
        parallelizationFactor: relay.parallelizationFactor,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.relayFailureQueue),
        // Marks (MODIFY) and TTL deletions (REMOVE) never cost an invocation.
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
      }),
    );

    const reconciler = props.reconciler ?? {};
    const maxItems = reconciler.maxItemsPerRun ?? 1000;
    requireOutboxInteger('reconciler.maxItemsPerRun', maxItems, 1, 100_000, 'The default is 1000.');
    this.reconcilerFunction = new ServiceFunction(this, 'Reconciler', {
      entry: reconciler.entry ?? 'lambdas/handlers/outbox-reconciler.ts',
      serviceName,
      description: 'Republishes outbox items the relay missed',
      timeout: RECONCILER_TIMEOUT,
      // One run at a time: a retried run (async invoke retries) and the next schedule never overlap.
      reservedConcurrentExecutions: 1,
      environment: {
        OUTBOX_TABLE_NAME: this.table.tableName,
        OUTBOX_PENDING_SHARDS: String(this.pendingIndexShards),
        ...publisherEnvironment,
        RECONCILE_GRACE_SECONDS: String(sweepGrace.toSeconds()),
        RECONCILE_MAX_ITEMS: String(maxItems),
      },
    });
    this.eventBus.grantPutEventsTo(this.reconcilerFunction);
    // Marks, parks and retries (updates, hold reads and removal, one aggregate's parked versions).
    grantOnTable(this.table, this.reconcilerFunction, 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:Query');
    grantOnIndex(this.table, OUTBOX_PENDING_INDEX.indexName, this.reconcilerFunction, 'dynamodb:Query');
    grantOnIndex(this.table, OUTBOX_PARKED_INDEX.indexName, this.reconcilerFunction, 'dynamodb:Query');
    this.operationsFunction = new ServiceFunction(this, 'Operations', {
      entry: 'lambdas/handlers/outbox-operations.ts',
      serviceName,
      description: 'Operator requests on the outbox: status, parked, retry-parked, replay, stored-events',
      timeout: OPERATIONS_TIMEOUT,
      // Kept for operators: when the account's concurrency runs out (an incident the alarms page
      // for), the CLI still runs. Two: an operator's command never waits for another's.
      reservedConcurrentExecutions: 2,
      environment: {
        OUTBOX_TABLE_NAME: this.table.tableName,
        ...publisherEnvironment,
      },
    });
    this.eventBus.grantPutEventsTo(this.operationsFunction);
    // Parked retries (as the reconciler's), replays (reads), and the item count for the status.
    grantOnTable(
      this.table,
      this.operationsFunction,
      'dynamodb:UpdateItem',
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:DescribeTable',
    );
    for (const index of [OUTBOX_PENDING_INDEX, OUTBOX_PARKED_INDEX, OUTBOX_OCCURRED_INDEX]) {
      grantOnIndex(this.table, index.indexName, this.operationsFunction, 'dynamodb:Query');
    }

    if (ownBus !== undefined) {
      // Any principal whose own policy allows events:PutEvents could forge this source (and, say,
      // freeze a read model with a high version). An explicit Deny in the bus's policy overrides
      // every Allow, same account or not. ForAnyValue: one PutEvents call carries up to 10 entries,
      // each with its own source, and one entry with this source is enough for the Deny to apply.
      const publishers = [this.relayFunction, this.reconcilerFunction, this.operationsFunction].map((fn) => {
        if (fn.role === undefined) throw new Error('TransactionalOutbox: the outbox functions need their own roles.');
        return fn.role.roleArn;
      });
      ownBus.addToResourcePolicy(
        new PolicyStatement({
          sid: 'OnlyOutboxPublishesItsSource',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [ownBus.eventBusArn],
          conditions: {
            'ForAnyValue:StringEquals': { 'events:source': [this.eventSource] },
            ArnNotEquals: { 'aws:PrincipalArn': publishers },
          },
        }),
      );
    }

    const schedule = reconciler.schedule ?? Schedule.rate(Duration.minutes(5));
    this.reconcilerSchedule = new Rule(this, 'ReconcilerSchedule', {
      description: 'Runs the outbox reconciler',
      schedule,
      targets: [new LambdaTarget(this.reconcilerFunction, { retryAttempts: 2 })],
    });

    this.alarmSet = createOutboxAlarms(
      this,
      {
        table: this.table,
        relayFunction: this.relayFunction,
        reconcilerFunction: this.reconcilerFunction,
        reconcilerTimeout: RECONCILER_TIMEOUT,
        reconcilerSchedule: schedule,
        serviceName,
        relayMaxRecordAge: relay.maxRecordAge,
        sweepGrace,
        ...(reconciler.stalePendingAlarmAfter === undefined ? {} : { stalePendingAlarmAfter: reconciler.stalePendingAlarmAfter }),
      },
      props.alarms,
    );
    this.relayIteratorAgeAlarm = this.alarmSet.relayIteratorAge;
    this.parkedItemsAlarm = this.alarmSet.parkedItems;
    this.auditFailuresAlarm = this.alarmSet.auditFailures;
    this.stalePendingAlarm = this.alarmSet.stalePending;
    this.reconcilerErrorsAlarm = this.alarmSet.reconcilerErrors;
    this.alarms = [this.relayFailuresAlarm, ...Object.values(this.alarmSet)];
    notifyOnStateChanges(this.alarms, props.alarmTopic);
  }

  /** One of the outbox functions' own metrics (Powertools EMF), e.g. `EventsPublished` or `RelayLag`. */
  public metric(metricName: string, props: MetricOptions = {}): Metric {
    return new Metric({ namespace: this.serviceName, metricName, dimensionsMap: { service: this.serviceName }, ...props });
  }

  /** Lets `grantee` append events (as part of its transactions), and nothing else. */
  public grantAppend(grantee: IGrantable): Grant {
    return grantOnTable(this.table, grantee, 'dynamodb:PutItem');
  }

  /**
   * Makes `fn` a writer of this outbox: the right to append, and the environment the write
   * adapter reads (`OUTBOX_TABLE_NAME`, `OUTBOX_PENDING_SHARDS`).
   */
  public addWriter(fn: LambdaFunction): void {
    this.grantAppend(fn);
    fn.addEnvironment('OUTBOX_TABLE_NAME', this.table.tableName);
    fn.addEnvironment('OUTBOX_PENDING_SHARDS', String(this.pendingIndexShards));
  }
}

