import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type OutboxAlarmsProps, notifyOnStateChanges, sumOf, tableThrottleMetrics } from './outbox-alarms';
import { alarmCount, requireBetween, requireInteger } from './prop-checks';

/** Thresholds of the Orders service's alarms: the outbox's, and the API's and service's own. */
export interface OrdersAlarmsProps extends OutboxAlarmsProps {
  /**
   * The share of API requests, in percent, that may end in a 5xx within 5 minutes; the alarm
   * fires on 2 such periods of the last 3.
   * @default 5 - every refusal the contract knows is a 4xx, so a 5xx is a fault (an unexpected
   * error, a timeout, a throttled function); 5% of requests is a fault a user is bound to meet,
   * and two periods of three keep a lone slow cold start from paging
   */
  readonly api5xxPercent?: number;
  /**
   * The requests within 5 minutes below which the 5xx rate is not judged.
   * @default 20 - with fewer, one failed request is already 5% or more: at night a single
   * failure would page; it is still in the logs and on the dashboard
   */
  readonly api5xxMinRequests?: number;
  /**
   * How old the oldest pending outbox item may get (see `OutboxReconcilerProps.stalePendingAlarmAfter`).
   * @default - the reconciler's grace (2 minutes) plus 15 minutes
   */
  readonly stalePendingAlarmAfter?: Duration;
}

export interface OrdersAlarmsConstructProps {
  readonly api: IHttpApi;
  /** The functions whose throttles page: the API's and the projector (the outbox watches its own). */
  readonly functions: readonly IFunction[];
  /** The tables whose throttles page (the outbox watches its own). */
  readonly tables: readonly ITable[];
  readonly alarmTopic?: ITopic;
  readonly thresholds?: OrdersAlarmsProps;
}

const OWNER = 'OrdersServiceStack';

/**
 * The service-level alarms of the Orders stack: the API's 5xx rate, and throttling of its
 * functions and tables. The outbox and the read model bring their own alarms.
 */
export class OrdersAlarms extends Construct {
  /** Fires when too many API requests end in a 5xx (`api5xxPercent` of at least `api5xxMinRequests`). */
  public readonly api5xxAlarm: Alarm;
  /** Fires when the API's functions or the projector are throttled. */
  public readonly functionThrottlesAlarm: Alarm;
  /** Fires when the orders, idempotency or read-model table throttles. */
  public readonly tableThrottlesAlarm: Alarm;
  public readonly alarms: readonly Alarm[];

  public constructor(scope: Construct, id: string, props: OrdersAlarmsConstructProps) {
    super(scope, id);
    const thresholds = props.thresholds ?? {};
    const percent = thresholds.api5xxPercent ?? 5;
    requireBetween(OWNER, 'alarms.api5xxPercent', percent, 0, 100, 'It is a percentage of requests; the default is 5.');
    const minRequests = thresholds.api5xxMinRequests ?? 20;
    requireInteger(OWNER, 'alarms.api5xxMinRequests', minRequests, 1, 1_000_000_000, 'It is a number of requests per 5 minutes; the default is 20.');
    const throttles = alarmCount(OWNER, 'alarms.throttles', thresholds.throttles, 1, 'throttled requests');

    const period = Duration.minutes(5);
    const twoOfThree = { evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: TreatMissingData.NOT_BREACHING } as const;
    this.api5xxAlarm = new Alarm(this, 'Api5xxAlarm', {
      alarmDescription: `More than ${percent}% of API requests ended in a 5xx (of at least ${minRequests} requests in 5 minutes), in 2 of the last 3 periods. See the order functions' logs and errors.`,
      metric: new MathExpression({
        expression: `IF(requests >= ${minRequests}, 100 * FILL(errors, 0) / requests, 0)`,
        usingMetrics: {
          errors: props.api.metricServerError({ period, statistic: 'Sum' }),
          requests: props.api.metricCount({ period, statistic: 'Sum' }),
        },
        period,
        label: 'API 5xx (% of requests)',
      }),
      threshold: percent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      ...twoOfThree,
    });
    this.functionThrottlesAlarm = new Alarm(this, 'FunctionThrottlesAlarm', {
      alarmDescription: `The order functions or the read-model projector were throttled in 2 of the last 3 5-minute periods (at least ${throttles} a period): requests fail with 5xx and projections wait. Raise the account's Lambda concurrency or find what uses it.`,
      metric: sumOf(
        props.functions.map((fn) => fn.metricThrottles({ period, statistic: 'Sum' })),
        period,
        'Throttled invocations',
      ),
      threshold: throttles,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...twoOfThree,
    });
    this.tableThrottlesAlarm = new Alarm(this, 'TableThrottlesAlarm', {
      alarmDescription: `The orders, idempotency or read-model table throttled reads or writes in 2 of the last 3 5-minute periods (at least ${throttles} a period). Look for a hot key or an account limit.`,
      metric: sumOf(tableThrottleMetrics(props.tables, period), period, 'Table throttle events'),
      threshold: throttles,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...twoOfThree,
    });
    this.alarms = [this.api5xxAlarm, this.functionThrottlesAlarm, this.tableThrottlesAlarm];
    notifyOnStateChanges(this.alarms, props.alarmTopic);
  }
}
