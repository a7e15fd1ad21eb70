import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { TransactionalOutbox, type TransactionalOutboxProps } from '../../../lib/transactional-outbox';

const build = (props?: TransactionalOutboxProps, withTopic = false) => {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  const topic = withTopic ? new Topic(stack, 'Pager') : undefined;
  const outbox = new TransactionalOutbox(stack, 'Outbox', { ...props, ...(topic === undefined ? {} : { alarmTopic: topic }) });
  return { stack, outbox, topic, template: Template.fromStack(stack) };
};

type Built = ReturnType<typeof build>;

/** The template properties of one alarm. */
const propertiesOf = ({ stack, template }: Built, alarm: Alarm): Record<string, unknown> => {
  const id = stack.getLogicalId(alarm.node.defaultChild as never);
  const resource = template.toJSON().Resources[id] as { Properties: Record<string, unknown> } | undefined;
  if (resource === undefined) throw new Error(`no alarm ${id} in the template`);
  return resource.Properties;
};

let defaults: Built;

beforeAll(() => {
  defaults = build();
}, 60_000);

describe('TransactionalOutbox alarms', () => {
  it.each([
    ['relay failure queue', (o: TransactionalOutbox) => o.relayFailuresAlarm, { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', Period: 60, EvaluationPeriods: 1 }],
    ['relay errors', (o: TransactionalOutbox) => o.alarmSet.relayErrors, { MetricName: 'Errors', Namespace: 'AWS/Lambda', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2 }],
    ['relay iterator age', (o: TransactionalOutbox) => o.relayIteratorAgeAlarm, { MetricName: 'IteratorAge', Statistic: 'Maximum', Threshold: 300_000, ComparisonOperator: 'GreaterThanThreshold', Period: 60, EvaluationPeriods: 3 }],
    ['relay throttles', (o: TransactionalOutbox) => o.alarmSet.relayThrottles, { MetricName: 'Throttles', Namespace: 'AWS/Lambda', Threshold: 1, Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2 }],
    ['oldest pending age', (o: TransactionalOutbox) => o.stalePendingAlarm, { MetricName: 'OldestPendingAge', Namespace: 'outbox', Statistic: 'Maximum', Threshold: 17 * 60_000, Period: 300, EvaluationPeriods: 1 }],
    ['reconciler errors', (o: TransactionalOutbox) => o.reconcilerErrorsAlarm, { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1, Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2 }],
    ['reconciler near its timeout', (o: TransactionalOutbox) => o.alarmSet.reconcilerDuration, { MetricName: 'Duration', Statistic: 'Maximum', Threshold: 240_000, ComparisonOperator: 'GreaterThanThreshold', Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2 }],
    ['audit failures', (o: TransactionalOutbox) => o.auditFailuresAlarm, { MetricName: 'AuditFailures', Namespace: 'outbox', Threshold: 1, Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2 }],
  ])('alarms on %s with its default threshold and evaluation', (_name, alarmOf, expected) => {
    expect(propertiesOf(defaults, alarmOf(defaults.outbox))).toMatchObject({ ...expected, TreatMissingData: 'notBreaching' });
  });

  it('alarms on any parked item, seen by the relay or counted by the reconciler', () => {
    expect(propertiesOf(defaults, defaults.outbox.parkedItemsAlarm)).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      Metrics: expect.arrayContaining([expect.objectContaining({ Expression: 'MAX([parkedNow, parkedByRelay])' })]),
    });
  });

  it('alarms on read and write throttle events of the outbox table, summed', () => {
    const properties = propertiesOf(defaults, defaults.outbox.alarmSet.tableThrottles);

    expect(properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    const names = (properties.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[]).flatMap((m) => (m.MetricStat === undefined ? [] : [m.MetricStat.Metric.MetricName]));
    expect(names.sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
  });

  it('lists every alarm it creates in `alarms`', () => {
    expect(defaults.outbox.alarms).toHaveLength(Object.keys(defaults.template.findResources('AWS::CloudWatch::Alarm')).length);
    expect(defaults.outbox.alarms).toHaveLength(10);
  });

  it('has no alarm or OK actions without a topic', () => {
    for (const alarm of defaults.outbox.alarms) {
      expect(propertiesOf(defaults, alarm)).not.toHaveProperty('AlarmActions');
      expect(propertiesOf(defaults, alarm)).not.toHaveProperty('OKActions');
    }
  });

  it('sends every alarm and OK state change to the topic when one is given', () => {
    const built = build({}, true);
    const topicRef = { Ref: built.stack.getLogicalId(built.topic?.node.defaultChild as never) };

    for (const alarm of built.outbox.alarms) {
      expect(propertiesOf(built, alarm)).toMatchObject({ AlarmActions: [topicRef], OKActions: [topicRef] });
    }
  });

  it('takes its thresholds from props', () => {
    const built = build({
      alarms: { relayIteratorAge: Duration.minutes(10), relayErrors: 3, reconcilerDurationShare: 0.5, throttles: 5 },
      reconciler: { stalePendingAlarmAfter: Duration.minutes(30) },
    });

    expect(propertiesOf(built, built.outbox.relayIteratorAgeAlarm)).toMatchObject({ Threshold: 600_000 });
    expect(propertiesOf(built, built.outbox.alarmSet.relayErrors)).toMatchObject({ Threshold: 3 });
    expect(propertiesOf(built, built.outbox.alarmSet.reconcilerDuration)).toMatchObject({ Threshold: 150_000 });
    expect(propertiesOf(built, built.outbox.alarmSet.relayThrottles)).toMatchObject({ Threshold: 5 });
    expect(propertiesOf(built, built.outbox.alarmSet.tableThrottles)).toMatchObject({ Threshold: 5 });
    expect(propertiesOf(built, built.outbox.stalePendingAlarm)).toMatchObject({ Threshold: 30 * 60_000 });
  });

  it('alarms on half the relay maximum record age by default when that age is under 10 minutes', () => {
    const built = build({ relay: { maxRecordAge: Duration.minutes(4) } });

    expect(propertiesOf(built, built.outbox.relayIteratorAgeAlarm)).toMatchObject({ Threshold: 120_000 });
  });

  it('judges per-run alarms over periods as long as the reconciler schedule, so a run lands in each', () => {
    const built = build({ reconciler: { schedule: Schedule.rate(Duration.minutes(15)) } });

    for (const alarm of [built.outbox.reconcilerErrorsAlarm, built.outbox.alarmSet.reconcilerDuration, built.outbox.auditFailuresAlarm]) {
      expect(propertiesOf(built, alarm)).toMatchObject({ Period: 900, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    }
  });

  it.each([
    [{ alarms: { relayIteratorAge: Duration.hours(1) } }, /alarms.relayIteratorAge must be from 1 second and below 1 hour, got 1 hour\. Records older than relay.maxRecordAge/],
    [{ alarms: { relayIteratorAge: Duration.seconds(0) } }, /alarms.relayIteratorAge must be from 1 second and below 1 hour, got 0 seconds/],
    [{ alarms: { relayErrors: 0 } }, /alarms.relayErrors must be an integer from 1 to 1000000, got 0/],
    [{ alarms: { relayErrors: 1.5 } }, /alarms.relayErrors must be an integer from 1 to 1000000, got 1.5/],
    [{ alarms: { reconcilerDurationShare: 0 } }, /alarms.reconcilerDurationShare must be a number above 0 and below 1, got 0/],
    [{ alarms: { reconcilerDurationShare: 1.2 } }, /alarms.reconcilerDurationShare must be a number above 0 and below 1, got 1.2/],
    [{ alarms: { throttles: -1 } }, /alarms.throttles must be an integer from 1 to 1000000, got -1/],
    [{ reconciler: { stalePendingAlarmAfter: Duration.minutes(1) } }, /reconciler.stalePendingAlarmAfter must be at least 3 minutes, got 1 minute\. Items younger than the reconciler grace/],
  ] as [TransactionalOutboxProps, RegExp][])('refuses %j at synth', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('TransactionalOutbox metrics', () => {
  it("names its functions' own metrics by the service name", () => {
    expect(defaults.stack.resolve(defaults.outbox.metric('EventsPublished').toMetricConfig().metricStat)).toMatchObject({
      namespace: 'outbox',
      metricName: 'EventsPublished',
      dimensions: [{ name: 'service', value: 'outbox' }],
    });
  });

  it('keeps the alarms of the outbox at the construct ids they had', () => {
    defaults.template.templateMatches({
      Resources: Match.objectLike(
        Object.fromEntries(
          ['RelayFailuresAlarm', 'RelayIteratorAgeAlarm', 'ParkedItemsAlarm', 'AuditFailuresAlarm', 'StalePendingAlarm', 'ReconcilerErrorsAlarm'].map((id) => [
            defaults.stack.getLogicalId(defaults.outbox.node.findChild(id).node.defaultChild as never),
            Match.objectLike({ Type: 'AWS::CloudWatch::Alarm' }),
          ]),
        ),
      ),
    });
  });
});
