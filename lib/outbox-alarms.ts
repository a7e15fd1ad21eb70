import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Schedule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { alarmCount, requireBetween, requireDuration } from './prop-checks';

/**
 * Thresholds of the outbox's alarms. Every alarm of the outbox also has a fixed part, written
 * next to it: anything parked, anything in the failure queue, and a failing reconciler or audit
 * page at once (one of them is already an event that has not reached the bus, or a safety net
 * that is not running), so those have no threshold to tune.
 */
export interface OutboxAlarmsProps {
  /**
   * How far behind its stream the relay may fall (the `IteratorAge` maximum, 3 minutes in a row)
   * before the alarm fires. Must be below `relay.maxRecordAge`: records older than that leave
   * the relay for the failure queue, so the alarm must fire while there is still time to act.
   * @default - 5 minutes, or half of `relay.maxRecordAge` when that is under 10 minutes. A
   * healthy relay is seconds behind; 5 minutes is 1/12 of the default maximum record age
   * (1 hour), which leaves 55 minutes before records skip the relay.
   */
  readonly relayIteratorAge?: Duration;
  /**
   * Failed relay invocations (Lambda `Errors`) per 5 minutes that count as a bad period; the
   * alarm fires on 2 bad periods of the last 3.
   * @default 1 - the relay reports failed records and does not throw for them, so an error is a
   * crash or a timeout; one is retried (the batch split in two) and usually clears, the same in
   * two periods of three means a batch keeps failing while records age toward the failure queue
   */
  readonly relayErrors?: number;
  /**
   * The share of its timeout a reconciler run may take (its `Duration` maximum) before it counts
   * as near the timeout; the alarm fires on 2 such runs of the last 3.
   * @default 0.8 - a run stops taking items 10 seconds before its timeout and leaves the rest to
   * the next run, so runs that use 80% of it are not keeping up with the backlog (a longer
   * schedule gap or a larger `maxItemsPerRun` is due), before any run actually times out
   */
  readonly reconcilerDurationShare?: number;
  /**
   * Throttled requests per 5 minutes that count as a bad period, for the relay function
   * (`Throttles`) and the outbox table (`ReadThrottleEvents` + `WriteThrottleEvents`); each alarm
   * fires on 2 bad periods of the last 3.
   * @default 1 - the table is on demand and the relay has no reserved concurrency, so in normal
   * operation nothing is throttled; a burst that retries absorb stays in one period, throttling in
   * two of three means an account or partition limit is in the way of the flow
   */
  readonly throttles?: number;
}

/** What the outbox alarms watch, and the settings their defaults follow from. */
export interface OutboxAlarmTargets {
  readonly table: ITable;
  readonly relayFunction: IFunction;
  readonly reconcilerFunction: IFunction;
  readonly reconcilerTimeout: Duration;
  readonly reconcilerSchedule: Schedule;
  /** The Powertools namespace (and `service` dimension) of the outbox functions. */
  readonly serviceName: string;
  readonly relayMaxRecordAge: Duration;
  readonly sweepGrace: Duration;
  readonly stalePendingAlarmAfter?: Duration;
}

/** The outbox alarms but the failure queue's (which `failureQueue` makes with its queue). */
export interface OutboxAlarmSet {
  readonly relayErrors: Alarm;
  readonly relayIteratorAge: Alarm;
  readonly relayThrottles: Alarm;
  readonly tableThrottles: Alarm;
  readonly stalePending: Alarm;
  readonly parkedItems: Alarm;
  readonly reconcilerErrors: Alarm;
  readonly reconcilerDuration: Alarm;
  readonly auditFailures: Alarm;
}

const OWNER = 'TransactionalOutbox';

/** Sends an alarm's ALARM and OK state changes to `topic`, when there is one: whoever is paged also hears when it clears. */
export const notifyOnStateChanges = (alarms: readonly Alarm[], topic: ITopic | undefined): void => {
  if (topic === undefined) return;
  const action = new SnsAction(topic);
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
};

/**
 * The sum of `metrics` at each time (at most 10: a CloudWatch alarm takes 10 metrics). `idPrefix`
 * names the metrics inside the expression: two sums on one graph need different prefixes.
 */
export const sumOf = (metrics: readonly IMetric[], period: Duration, label: string, idPrefix = 'm'): MathExpression => {
  if (metrics.length > 10) throw new Error(`${label}: an alarm takes at most 10 metrics, got ${metrics.length}.`);
  const usingMetrics = Object.fromEntries(metrics.map((metric, index) => [`${idPrefix}${index}`, metric]));
  return new MathExpression({ expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`, usingMetrics, period, label });
};

/** Read and write throttle events of `tables`, per `period`. */
export const tableThrottleMetrics = (tables: readonly ITable[], period: Duration): Metric[] =>
  tables.flatMap((table) => ['ReadThrottleEvents', 'WriteThrottleEvents'].map((name) => table.metric(name, { statistic: 'Sum', period })));

/**
 * The period the reconciler's per-run alarms use: long enough that a run lands in each. A
 * `rate(...)` schedule gives it (at least 5 minutes, at most 8 hours so 3 periods fit in the
 * day CloudWatch evaluates); a cron schedule is taken as the default 5 minutes.
 */
export const runPeriod = (schedule: Schedule): Duration => {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule.expressionString);
  if (match === null) return Duration.minutes(5);
  const minutesPer = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 }[match[2] as 'minute'];
  return Duration.minutes(Math.min(Math.max(Number(match[1]) * minutesPer, 5), 8 * 60));
};

/** Builds the outbox's alarms in `scope` (construct ids as before this module: they are a contract). */
export const createOutboxAlarms = (scope: Construct, targets: OutboxAlarmTargets, props: OutboxAlarmsProps = {}): OutboxAlarmSet => {
  const maxRecordAge = targets.relayMaxRecordAge;
  const relayIteratorAge =
    props.relayIteratorAge ?? (maxRecordAge.toSeconds() < 10 * 60 ? Duration.seconds(Math.floor(maxRecordAge.toSeconds() / 2)) : Duration.minutes(5));
  requireDuration(
    OWNER,
    'alarms.relayIteratorAge',
    relayIteratorAge,
    { min: Duration.seconds(1), max: maxRecordAge, maxExclusive: true },
    `Records older than relay.maxRecordAge (${maxRecordAge.toHumanString()}) leave the relay for the failure queue, so the alarm must fire before that. Leave it unset for the default.`,
  );
  const relayErrors = alarmCount(OWNER, 'alarms.relayErrors', props.relayErrors, 1, 'failed relay invocations');
  const durationShare = props.reconcilerDurationShare ?? 0.8;
  requireBetween(OWNER, 'alarms.reconcilerDurationShare', durationShare, 0, 1, 'It is the share of the reconciler timeout a run may take; the default is 0.8.');
  const throttles = alarmCount(OWNER, 'alarms.throttles', props.throttles, 1, 'throttled requests');
  const grace = targets.sweepGrace;
  // Pending past the grace and two more runs: neither the relay nor the sweep is getting it out.
  const stalePendingAfter = targets.stalePendingAlarmAfter ?? grace.plus(Duration.minutes(15));
  requireDuration(
    OWNER,
    'reconciler.stalePendingAlarmAfter',
    stalePendingAfter,
    { min: grace.plus(Duration.minutes(1)) },
    `Items younger than the reconciler grace (${grace.toHumanString()}) are the relay's to publish; an alarm on them pages for healthy traffic. Leave it unset for the grace plus 15 minutes.`,
  );

  const fiveMinutes = Duration.minutes(5);
  const perRun = runPeriod(targets.reconcilerSchedule);
  // The outbox functions' own metrics (Powertools EMF: namespace and `service` dimension).
  const own = (metricName: string, period: Duration) =>
    new Metric({ namespace: targets.serviceName, metricName, dimensionsMap: { service: targets.serviceName }, statistic: 'Maximum', period });
  const twoOfThree = { evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: TreatMissingData.NOT_BREACHING } as const;

  const relayErrorsAlarm = new Alarm(scope, 'RelayErrorsAlarm', {
    alarmDescription: `The outbox relay failed (crashed or timed out) in 2 of the last 3 5-minute periods (at least ${relayErrors} a period). Its batches are retried and split, then go to the failure queue. See the relay's logs.`,
    metric: targets.relayFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
    threshold: relayErrors,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ...twoOfThree,
  });
  const relayIteratorAgeAlarm = new Alarm(scope, 'RelayIteratorAgeAlarm', {
    alarmDescription: `The outbox relay is more than ${relayIteratorAge.toHumanString()} behind its stream (records older than ${maxRecordAge.toHumanString()} skip it for the failure queue and wait for the reconciler).`,
    metric: targets.relayFunction.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
    threshold: relayIteratorAge.toMilliseconds(),
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  // The reconciler is left out: its reserved concurrency of 1 throttles an overlapping run by design.
  const relayThrottlesAlarm = new Alarm(scope, 'RelayThrottlesAlarm', {
    alarmDescription: `The outbox relay was throttled in 2 of the last 3 5-minute periods (at least ${throttles} a period): the account's Lambda concurrency is short, and the stream waits.`,
    metric: targets.relayFunction.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
    threshold: throttles,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ...twoOfThree,
  });
  const tableThrottlesAlarm = new Alarm(scope, 'TableThrottlesAlarm', {
    alarmDescription: `The outbox table throttled reads or writes in 2 of the last 3 5-minute periods (at least ${throttles} a period): writers' transactions fail, or the relay and reconciler slow down. Look for a hot pending-index shard (raise pendingIndexShards) or an account limit.`,
    metric: sumOf(tableThrottleMetrics([targets.table], fiveMinutes), fiveMinutes, 'Outbox table throttle events'),
    threshold: throttles,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ...twoOfThree,
  });
  const stalePendingAlarm = new Alarm(scope, 'StalePendingAlarm', {
    alarmDescription: `An outbox event has been pending for more than ${stalePendingAfter.toHumanString()}: the relay and the reconciler's sweep are not publishing it.`,
    metric: own('OldestPendingAge', fiveMinutes),
    threshold: stalePendingAfter.toMilliseconds(),
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  // Any parked item pages: it is an event that has not reached the bus, waiting for a person.
  const parkedItemsAlarm = new Alarm(scope, 'ParkedItemsAlarm', {
    alarmDescription: 'Outbox events are parked: EventBridge refused them for good. Fix the cause, then retry them: npm run outbox -- retry-parked.',
    metric: new MathExpression({
      expression: 'MAX([parkedNow, parkedByRelay])',
      usingMetrics: { parkedNow: own('ParkedItems', fiveMinutes), parkedByRelay: own('ItemsParked', fiveMinutes) },
      period: fiveMinutes,
    }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  // A sweep that throws fails the invocation: two failed runs of the last three page.
  const reconcilerErrorsAlarm = new Alarm(scope, 'ReconcilerErrorsAlarm', {
    alarmDescription: 'The outbox reconciler failed in 2 of its last 3 runs (its sweep did not finish). See its logs.',
    metric: targets.reconcilerFunction.metricErrors({ period: perRun, statistic: 'Sum' }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ...twoOfThree,
  });
  const nearTimeoutMs = Math.round(targets.reconcilerTimeout.toMilliseconds() * durationShare);
  const reconcilerDurationAlarm = new Alarm(scope, 'ReconcilerDurationAlarm', {
    alarmDescription: `2 of the last 3 outbox reconciler runs took more than ${Math.round(durationShare * 100)}% of its ${targets.reconcilerTimeout.toHumanString()} timeout: it is not keeping up with the pending backlog (see LeftForNextRun), and a run may time out.`,
    metric: targets.reconcilerFunction.metricDuration({ period: perRun, statistic: 'Maximum' }),
    threshold: nearTimeoutMs,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    ...twoOfThree,
  });
  // A failing audit is never silent: the sweep still ran, but the checks behind it did not.
  const auditFailuresAlarm = new Alarm(scope, 'AuditFailuresAlarm', {
    alarmDescription: 'The reconciler audit failed in 2 of the last 3 runs (the sweep still ran). See the reconciler logs.',
    metric: own('AuditFailures', perRun),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ...twoOfThree,
  });
  return {
    relayErrors: relayErrorsAlarm,
    relayIteratorAge: relayIteratorAgeAlarm,
    relayThrottles: relayThrottlesAlarm,
    tableThrottles: tableThrottlesAlarm,
    stalePending: stalePendingAlarm,
    parkedItems: parkedItemsAlarm,
    reconcilerErrors: reconcilerErrorsAlarm,
    reconcilerDuration: reconcilerDurationAlarm,
    auditFailures: auditFailuresAlarm,
  };
};
