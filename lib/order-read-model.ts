import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type Alarm, Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, ProjectionType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { READ_MODEL_BY_CUSTOMER_INDEX } from '../lambdas/adapters/dynamodb-read-model';
import { ORDER_EVENT_SOURCE, ORDER_EVENT_TYPES } from '../lambdas/domain/events';
import { failureQueue } from './failure-queue';
import { grantOnIndex, grantOnTable } from './grants';
import { durableTable } from './durable-table';
import { notifyOnStateChanges } from './outbox-alarms';
import { ServiceFunction } from './service-function';

export interface OrderReadModelProps {
  /** The bus the order events arrive on. */
  readonly eventBus: IEventBus;
  /**
   * Retries of an event the rule could not deliver to the projector, before its dead-letter queue.
   * @default 20
   */
  readonly deliveryRetryAttempts?: number;
  /**
   * How long the rule keeps trying to deliver an event.
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Where the read model's alarm sends its ALARM and OK state changes.
   * @default - no actions
   */
  readonly alarmTopic?: ITopic;
}

/** The Powertools service name (and metrics namespace) of the projector. */
export const READ_MODEL_SERVICE = 'orders-read-model';

/**
 * The read side of the Orders service: a read-model table (one item per order, with the last
 * version applied, and a by-customer index newest first) kept by a projector that an EventBridge
 * rule feeds with the order events. Events the projector cannot take (delivery failures, and
 * function errors after Lambda's own retries) land in one dead-letter queue, with an alarm.
 */
export class OrderReadModel extends Construct {
  public readonly table: Table;
  public readonly projector: ServiceFunction;
  public readonly rule: Rule;
  public readonly deadLetterQueue: Queue;
  /** Fires when anything is in the dead-letter queue (threshold 0: each message is an event the read model missed). */
  public readonly deadLetterAlarm: Alarm;
  /** Every alarm of the read model. */
  public readonly alarms: readonly Alarm[];

  public constructor(scope: Construct, id: string, props: OrderReadModelProps) {
    super(scope, id);
    this.table = durableTable(this, 'Table', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: READ_MODEL_BY_CUSTOMER_INDEX.indexName,
      partitionKey: { name: READ_MODEL_BY_CUSTOMER_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: READ_MODEL_BY_CUSTOMER_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    const deadLetters = failureQueue(this, 'DeadLetters', {
      role: 'dead-letter queue of the projector',
      alarmDescription: 'Order events the read model could not take; the reconciler repairs the read model.',
    });
    this.deadLetterQueue = deadLetters.queue;
    this.deadLetterAlarm = deadLetters.alarm;
    this.alarms = [this.deadLetterAlarm];
    notifyOnStateChanges(this.alarms, props.alarmTopic);

    this.projector = new ServiceFunction(this, 'Projector', {
      entry: 'lambdas/handlers/project-order.ts',
      serviceName: READ_MODEL_SERVICE,
      description: 'Applies order events to the read model, newest version wins',
      environment: { READ_MODEL_TABLE_NAME: this.table.tableName },
      retryAttempts: 2,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    grantOnTable(this.table, this.projector, 'dynamodb:PutItem');

    this.rule = new Rule(this, 'OrderEvents', {
      eventBus: props.eventBus,
      description: 'Order events to the read-model projector',
      eventPattern: { source: [ORDER_EVENT_SOURCE], detailType: [...ORDER_EVENT_TYPES] },
      targets: [
        new LambdaFunction(this.projector, {
          retryAttempts: props.deliveryRetryAttempts ?? 20,
          maxEventAge: props.maxEventAge ?? Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }

  /** One of the projector's own metrics (Powertools EMF), e.g. `ProjectionLag`. */
  public metric(metricName: string, props: MetricOptions = {}): Metric {
    return new Metric({ namespace: READ_MODEL_SERVICE, metricName, dimensionsMap: { service: READ_MODEL_SERVICE }, ...props });
  }

  /** Reads of single orders (GetItem), strongly consistent. */
  public grantGet(grantee: IGrantable): Grant {
    return grantOnTable(this.table, grantee, 'dynamodb:GetItem');
  }

  /** Listing through the by-customer index (Query on the index only). */
  public grantList(grantee: IGrantable): Grant {
    return grantOnIndex(this.table, READ_MODEL_BY_CUSTOMER_INDEX.indexName, grantee, 'dynamodb:Query');
  }
}
