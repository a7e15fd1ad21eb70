import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, ProjectionType, StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus, type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, type Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, type Function as LambdaFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_MAX_REQUEST_BYTES } from '../lambdas/outbox/entries';
import { OUTBOX_KEY, OUTBOX_PARKED_INDEX, OUTBOX_PENDING_INDEX, OUTBOX_TTL_ATTRIBUTE, PENDING_SHARD_CEILING } from '../lambdas/outbox/item';
import { failureQueue } from './failure-queue';
import { grantOnIndex, grantOnTable } from './grants';
import { durableTable } from './durable-table';
import { ServiceFunction } from './service-function';

/** The relay's settings: how it reads the stream and how it publishes. */
export interface OutboxRelayProps {
  /**
   * Stream records per invocation (1..1000, the most Lambda takes from a DynamoDB stream).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking with a batch that is not full.
   * @default - none: invoke as soon as records arrive
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch before its metadata goes to the failure queue (0..10000).
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this skip the relay and go to the failure queue (1 minute..7 days); the
   * items stay pending for the reconciler. Bounds how long a poison record can hold its shard.
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard. Only 1 is accepted: Lambda keeps records in order per *item*,
   * and every outbox version is an item of its own, so above 1 versions v and v+1 of one
   * aggregate could be published at once, and a parked v could be overtaken by v+1.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * The `PutEvents` request size limit the relay packs to, counted as EventBridge counts it.
   * @default 262144 (256 KB; AWS allows 1 MB since 2026)
   */
  readonly maxRequestBytes?: number;
  /**
   * `PutEvents` calls in flight at once per invocation.
   * @default 4
   */
  readonly publishConcurrency?: number;
  /**
   * Attempts for an entry that keeps failing with a retryable code, the first included.
   * @default 5
   */
  readonly publishMaxAttempts?: number;
  /**
   * How long a published item stays in the outbox before TTL removes it (at least 1 day).
   * @default Duration.days(7)
   */
  readonly publishedRetention?: Duration;
}

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
   * How old the oldest pending item may get before an alarm fires.
   * @default - the grace period plus 15 minutes (three runs at the default schedule)
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
   * @default - a new custom event bus with an archive, whose resource policy lets only the relay
   * and the reconciler put events with `eventSource`
   */
  readonly eventBus?: IEventBus;
  /**
   * The `source` of the events this outbox publishes. On a bus this construct creates, every
   * principal but the relay's and the reconciler's roles is denied `events:PutEvents` for it, so a
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
}

/**
 * The outbox a service writes its events into, in the same DynamoDB transaction as its own data,
 * and the relay that carries them to EventBridge.
 *
 * Items are keyed by aggregate id and version; the table streams new images to the relay (only
 * INSERTs reach it); TTL on `expiresAt` prunes published items; the sparse `pending` index holds
 * only unsent items, oldest first per shard. Batches the relay cannot finish go, as metadata, to
 * `relayFailureQueue`; the items they name stay pending.
 */
export class TransactionalOutbox extends Construct {
  /** The outbox table. */
  public readonly table: Table;
  /** The number of pending-index shards writers spread items over. */
  public readonly pendingIndexShards: number;
  /** The bus events are published to. */
  public readonly eventBus: IEventBus;
  /** The `source` of the outbox's events, which only the relay and reconciler may put on a bus this construct created. */
  public readonly eventSource: string;
  /** The archive of the bus, when this construct created the bus. */
  public readonly archive?: Archive;
  /** The relay function (DynamoDB stream to EventBridge). */
  public readonly relayFunction: ServiceFunction;
  /** Receives the metadata of stream batches the relay could not finish. */
  public readonly relayFailureQueue: Queue;
  /** Fires when anything lands in the failure queue. */
  public readonly relayFailuresAlarm: Alarm;
  /** Fires when the relay's stream falls behind by more than 5 minutes. */
  public readonly relayIteratorAgeAlarm: Alarm;
  /** The scheduled reconciler: republishes what stayed pending past the grace period. */
  public readonly reconcilerFunction: ServiceFunction;
  /** The schedule that runs the reconciler. */
  public readonly reconcilerSchedule: Rule;
  /** Fires when any item is parked (seen by the relay as it parks, or counted by the reconciler). */
  public readonly parkedItemsAlarm: Alarm;
  /** Fires when the application's audit keeps failing (the sweep runs regardless). */
  public readonly auditFailuresAlarm: Alarm;
  /** Fires when the oldest pending item is older than the grace period plus 15 minutes. */
  public readonly stalePendingAlarm: Alarm;
  /** Fires when the reconciler itself keeps failing (its sweep did not finish). */
  public readonly reconcilerErrorsAlarm: Alarm;

  public constructor(scope: Construct, id: string, props: TransactionalOutboxProps = {}) {
    super(scope, id);
    this.pendingIndexShards = props.pendingIndexShards ?? 4;
    const relay = resolveRelayProps(props.relay ?? {});
    const serviceName = props.serviceName ?? 'outbox';
    requireInteger(
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
    this.relayFunction = new ServiceFunction(this, 'Relay', {
      entry: 'lambdas/handlers/outbox-relay.ts',
      serviceName,
      description: 'Publishes new outbox items from the DynamoDB stream to EventBridge',
      timeout: Duration.seconds(60),
      environment: {
        OUTBOX_TABLE_NAME: this.table.tableName,
        EVENT_BUS_NAME: this.eventBus.eventBusName,
        PUT_EVENTS_MAX_REQUEST_BYTES: String(relay.maxRequestBytes),
        PUBLISH_CONCURRENCY: String(relay.publishConcurrency),
        PUBLISH_MAX_ATTEMPTS: String(relay.publishMaxAttempts),
        PUBLISHED_RETENTION_SECONDS: String(relay.publishedRetention.toSeconds()),
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
    requireInteger('reconciler.maxItemsPerRun', maxItems, 1, 100_000, 'The default is 1000.');
    this.reconcilerFunction = new ServiceFunction(this, 'Reconciler', {
      entry: reconciler.entry ?? 'lambdas/handlers/outbox-reconciler.ts',
      serviceName,
      description: 'Republishes outbox items the relay missed',
      timeout: Duration.minutes(5),
      // One run at a time: a retried run (async invoke retries) and the next schedule never overlap.
      reservedConcurrentExecutions: 1,
      environment: {
        OUTBOX_TABLE_NAME: this.table.tableName,
        OUTBOX_PENDING_SHARDS: String(this.pendingIndexShards),
        EVENT_BUS_NAME: this.eventBus.eventBusName,
        PUT_EVENTS_MAX_REQUEST_BYTES: String(relay.maxRequestBytes),
        PUBLISH_CONCURRENCY: String(relay.publishConcurrency),
        PUBLISH_MAX_ATTEMPTS: String(relay.publishMaxAttempts),
        PUBLISHED_RETENTION_SECONDS: String(relay.publishedRetention.toSeconds()),
        RECONCILE_GRACE_SECONDS: String(sweepGrace.toSeconds()),
        RECONCILE_MAX_ITEMS: String(maxItems),
      },
    });
    this.eventBus.grantPutEventsTo(this.reconcilerFunction);
    // Marks, parks and retries (updates, hold reads and removal, one aggregate's parked versions).
    grantOnTable(this.table, this.reconcilerFunction, 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:Query');
    grantOnIndex(this.table, OUTBOX_PENDING_INDEX.indexName, this.reconcilerFunction, 'dynamodb:Query');
    grantOnIndex(this.table, OUTBOX_PARKED_INDEX.indexName, this.reconcilerFunction, 'dynamodb:Query');
    if (ownBus !== undefined) {
      // Any principal whose own policy allows events:PutEvents could forge this source (and, say,
      // freeze a read model with a high version). An explicit Deny in the bus's policy overrides
      // every Allow, same account or not. ForAnyValue: one PutEvents call carries up to 10 entries,
      // each with its own source, and one entry with this source is enough for the Deny to apply.
      const publishers = [this.relayFunction, this.reconcilerFunction].map((fn) => {
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

    this.reconcilerSchedule = new Rule(this, 'ReconcilerSchedule', {
      description: 'Runs the outbox reconciler',
      schedule: reconciler.schedule ?? Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaTarget(this.reconcilerFunction, { retryAttempts: 2 })],
    });

    // The outbox functions' own metrics (Powertools EMF: namespace and `service` dimension).
    const metric = (metricName: string) =>
      new Metric({ namespace: serviceName, metricName, dimensionsMap: { service: serviceName }, statistic: 'Maximum', period: Duration.minutes(5) });
    // Any parked item pages: it is an event that has not reached the bus, waiting for a person.
    this.parkedItemsAlarm = new Alarm(this, 'ParkedItemsAlarm', {
      alarmDescription: 'Outbox events are parked: EventBridge refused them for good. Fix the cause, then retry them (reconciler {"retryParked": true}).',
      metric: new MathExpression({
        expression: 'MAX([parkedNow, parkedByRelay])',
        usingMetrics: { parkedNow: metric('ParkedItems'), parkedByRelay: metric('ItemsParked') },
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // A failing audit is never silent: the sweep still ran, but the checks behind it did not.
    this.auditFailuresAlarm = new Alarm(this, 'AuditFailuresAlarm', {
      alarmDescription: 'The reconciler audit failed in 2 of the last 3 runs (the sweep still ran). See the reconciler logs.',
      metric: metric('AuditFailures'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // Pending past the grace and two more runs: neither the relay nor the sweep is getting it out.
    const stalePendingAfter = reconciler.stalePendingAlarmAfter ?? Duration.minutes(sweepGrace.toMinutes() + 15);
    this.stalePendingAlarm = new Alarm(this, 'StalePendingAlarm', {
      alarmDescription: `An outbox event has been pending for more than ${stalePendingAfter.toHumanString()}: the relay and the reconciler's sweep are not publishing it.`,
      metric: metric('OldestPendingAge'),
      threshold: stalePendingAfter.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // A sweep that throws fails the invocation: two failed runs of the last three page.
    this.reconcilerErrorsAlarm = new Alarm(this, 'ReconcilerErrorsAlarm', {
      alarmDescription: 'The outbox reconciler failed in 2 of its last 3 runs (its sweep did not finish). See its logs.',
      metric: this.reconcilerFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.relayIteratorAgeAlarm = new Alarm(this, 'RelayIteratorAgeAlarm', {
      alarmDescription: 'The outbox relay is more than 5 minutes behind its stream.',
      metric: this.relayFunction.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: Duration.minutes(5).toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
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

interface ResolvedRelayProps {
  readonly batchSize: number;
  readonly maxBatchingWindow?: Duration;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration;
  readonly parallelizationFactor: number;
  readonly maxRequestBytes: number;
  readonly publishConcurrency: number;
  readonly publishMaxAttempts: number;
  readonly publishedRetention: Duration;
}

const resolveRelayProps = (props: OutboxRelayProps): ResolvedRelayProps => {
  const resolved: ResolvedRelayProps = {
    batchSize: props.batchSize ?? 100,
    ...(props.maxBatchingWindow === undefined ? {} : { maxBatchingWindow: props.maxBatchingWindow }),
    retryAttempts: props.retryAttempts ?? 10,
    maxRecordAge: props.maxRecordAge ?? Duration.hours(1),
    parallelizationFactor: props.parallelizationFactor ?? 1,
    maxRequestBytes: props.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    publishConcurrency: props.publishConcurrency ?? 4,
    publishMaxAttempts: props.publishMaxAttempts ?? 5,
    publishedRetention: props.publishedRetention ?? Duration.days(7),
  };
  requireInteger('relay.batchSize', resolved.batchSize, 1, 1000, 'Lambda takes at most 1,000 records a batch from a DynamoDB stream; the default is 100.');
  requireInteger('relay.retryAttempts', resolved.retryAttempts, 0, 10_000, 'Unlimited retries would let one poison record hold its shard; the default is 10.');
  requireInteger(
    'relay.parallelizationFactor',
    resolved.parallelizationFactor,
    1,
    1,
    'Lambda orders stream records per item and every outbox version is its own item, so above 1 two versions of one aggregate could be published at once, out of order. Raise pendingIndexShards and batchSize for throughput instead.',
  );
  requireInteger('relay.maxRequestBytes', resolved.maxRequestBytes, 1024, 1024 * 1024, 'EventBridge takes at most 1 MB a request; the default is 262144.');
  requireInteger('relay.publishConcurrency', resolved.publishConcurrency, 1, 50, 'The default is 4.');
  requireInteger('relay.publishMaxAttempts', resolved.publishMaxAttempts, 1, 20, 'The default is 5.');
  const age = resolved.maxRecordAge.toSeconds();
  if (age < 60 || age > 7 * 24 * 60 * 60) {
    throw new Error(
      `TransactionalOutbox: relay.maxRecordAge must be from 1 minute to 7 days, got ${resolved.maxRecordAge.toHumanString()}. The default is 1 hour.`,
    );
  }
  if (resolved.publishedRetention.toSeconds() < 24 * 60 * 60) {
    throw new Error(
      `TransactionalOutbox: relay.publishedRetention must be at least 1 day, got ${resolved.publishedRetention.toHumanString()}. The default is 7 days.`,
    );
  }
  return resolved;
};

const requireInteger = (name: string, value: number, min: number, max: number, hint: string): void => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`TransactionalOutbox: ${name} must be an integer from ${min} to ${max}, got ${value}. ${hint}`);
  }
};
