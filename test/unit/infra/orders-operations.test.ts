import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { OrdersServiceStack, type OrdersServiceStackProps } from '../../../lib/orders-service-stack';

const synth = (props: OrdersServiceStackProps = {}) => {
  // Bundling is skipped here; the offline synth test bundles for real.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new OrdersServiceStack(app, 'OrdersService', props);
  return { stack, template: Template.fromStack(stack) };
};

type Synthed = ReturnType<typeof synth>;

const propertiesOf = ({ stack, template }: Synthed, alarm: Alarm): Record<string, unknown> => {
  const id = stack.getLogicalId(alarm.node.defaultChild as never);
  const resource = template.toJSON().Resources[id] as { Properties: Record<string, unknown> } | undefined;
  if (resource === undefined) throw new Error(`no alarm ${id} in the template`);
  return resource.Properties;
};

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly alarms?: string[]; readonly metrics?: unknown[][] };
}

/** The dashboard body as CloudWatch reads it, with each CloudFormation reference as `Ref:<id>` or `GetAtt:<id>`. */
const dashboardOf = ({ template }: Synthed): { widgets: Widget[] } => {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as { Properties: { DashboardBody: unknown } }[];
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      return token.Ref === undefined ? `GetAtt:${token['Fn::GetAtt']?.[0]}` : `Ref:${token.Ref}`;
    })
    .join('');
  return JSON.parse(text) as { widgets: Widget[] };
};

/** Every metric on the dashboard's graphs as `namespace/name` (a metric row repeats `.` for the row before's fields). */
const metricsOn = (widgets: readonly Widget[]): string[] =>
  widgets.flatMap((widget) => {
    const rows = widget.properties.metrics ?? [];
    let previous: unknown[] = [];
    return rows.flatMap((row) => {
      if (typeof row[0] !== 'string') return [];
      const full = row.map((field, index) => (field === '.' ? previous[index] : field));
      previous = full;
      return [`${String(full[0])}/${String(full[1])}`];
    });
  });

let defaults: Synthed;

beforeAll(() => {
  defaults = synth();
}, 120_000);

describe('OrdersServiceStack alarms', () => {
  it('alarms when more than 5% of at least 20 API requests in 5 minutes end in a 5xx, in 2 of 3 periods', () => {
    const properties = propertiesOf(defaults, defaults.stack.serviceAlarms.api5xxAlarm);

    expect(properties).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    const metrics = properties.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string }; Period: number; Stat: string } }[];
    expect(metrics.find((m) => m.Expression !== undefined)?.Expression).toBe('IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)');
    expect(metrics.filter((m) => m.MetricStat !== undefined).map((m) => [m.Id, m.MetricStat?.Metric.Namespace, m.MetricStat?.Metric.MetricName, m.MetricStat?.Period, m.MetricStat?.Stat])).toEqual([
      ['errors', 'AWS/ApiGateway', '5xx', 300, 'Sum'],
      ['requests', 'AWS/ApiGateway', 'Count', 300, 'Sum'],
    ]);
  });

  it('alarms on throttles of the API functions and the projector, summed', () => {
    const properties = propertiesOf(defaults, defaults.stack.serviceAlarms.functionThrottlesAlarm);
    const stats = (properties.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[]).filter((m) => m.MetricStat !== undefined);

    expect(properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    expect(stats).toHaveLength(Object.keys(defaults.stack.functions).length + 1);
    expect(new Set(stats.map((m) => m.MetricStat?.Metric.MetricName))).toEqual(new Set(['Throttles']));
  });

  it('alarms on read and write throttle events of the orders, idempotency and read-model tables', () => {
    const properties = propertiesOf(defaults, defaults.stack.serviceAlarms.tableThrottlesAlarm);
    const stats = (properties.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[]).filter((m) => m.MetricStat !== undefined);

    expect(properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    expect(stats.map((m) => m.MetricStat?.Metric.MetricName).sort()).toEqual([...Array(3).fill('ReadThrottleEvents'), ...Array(3).fill('WriteThrottleEvents')]);
  });

  it("alarms on anything in the projector's dead-letter queue", () => {
    expect(propertiesOf(defaults, defaults.stack.readModel.deadLetterAlarm)).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('lists every alarm of the stack in `alarms`, with no actions when no topic is given', () => {
    const all = Object.keys(defaults.template.findResources('AWS::CloudWatch::Alarm'));

    expect(defaults.stack.alarms.map((alarm) => defaults.stack.getLogicalId(alarm.node.defaultChild as never)).sort()).toEqual(all.sort());
    expect(all).toHaveLength(14);
    for (const alarm of defaults.stack.alarms) {
      expect(propertiesOf(defaults, alarm)).not.toHaveProperty('AlarmActions');
      expect(propertiesOf(defaults, alarm)).not.toHaveProperty('OKActions');
    }
  });

  it('sends the ALARM and OK state changes of every alarm to the alarm topic', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const paging = new Stack(app, 'Paging');
    const topic = new Topic(paging, 'Pager');
    const stack = new OrdersServiceStack(app, 'OrdersService', { alarmTopic: topic });
    const synthed = { stack, template: Template.fromStack(stack) };

    for (const alarm of stack.alarms) {
      const properties = propertiesOf(synthed, alarm);
      expect(properties.AlarmActions).toEqual([{ 'Fn::ImportValue': expect.stringMatching(/^Paging:ExportsOutputRefPager/) }]);
      expect(properties.OKActions).toEqual(properties.AlarmActions);
    }
  });

  it('takes the API thresholds and passes the outbox ones through', () => {
    const synthed = synth({
      alarms: { api5xxPercent: 2, api5xxMinRequests: 100, throttles: 10, relayErrors: 4, stalePendingAlarmAfter: Duration.minutes(45) },
    });

    expect(propertiesOf(synthed, synthed.stack.serviceAlarms.api5xxAlarm)).toMatchObject({ Threshold: 2 });
    expect(
      (propertiesOf(synthed, synthed.stack.serviceAlarms.api5xxAlarm).Metrics as { Expression?: string }[]).find((m) => m.Expression !== undefined)?.Expression,
    ).toBe('IF(requests >= 100, 100 * FILL(errors, 0) / requests, 0)');
    expect(propertiesOf(synthed, synthed.stack.serviceAlarms.functionThrottlesAlarm)).toMatchObject({ Threshold: 10 });
    expect(propertiesOf(synthed, synthed.stack.outbox.alarmSet.relayThrottles)).toMatchObject({ Threshold: 10 });
    expect(propertiesOf(synthed, synthed.stack.outbox.alarmSet.relayErrors)).toMatchObject({ Threshold: 4 });
    expect(propertiesOf(synthed, synthed.stack.outbox.stalePendingAlarm)).toMatchObject({ Threshold: 45 * 60_000 });
  });

  it.each([
    [{ api5xxPercent: 0 }, /OrdersServiceStack: alarms.api5xxPercent must be a number above 0 and below 100, got 0/],
    [{ api5xxPercent: 150 }, /alarms.api5xxPercent must be a number above 0 and below 100, got 150/],
    [{ api5xxMinRequests: 0 }, /alarms.api5xxMinRequests must be an integer from 1 to 1000000000, got 0/],
    [{ throttles: 0 }, /alarms.throttles must be an integer from 1 to 1000000, got 0/],
    [{ reconcilerDurationShare: 1 }, /alarms.reconcilerDurationShare must be a number above 0 and below 1, got 1/],
  ] as [OrdersServiceStackProps['alarms'], RegExp][])('refuses alarms %j at synth', (alarms, message) => {
    expect(() => synth({ ...(alarms === undefined ? {} : { alarms }) })).toThrow(message);
  });
});

describe('OrdersServiceStack dashboard', () => {
  it.each([
    ['commands accepted', 'orders/CommandsAccepted'],
    ['events published', 'outbox/EventsPublished'],
    ['PutEvents calls', 'outbox/PutEventsCalls'],
    ['relay lag', 'outbox/RelayLag'],
    ["the relay's stream backlog", 'AWS/Lambda/IteratorAge'],
    ['the oldest pending age', 'outbox/OldestPendingAge'],
    ['a sweep that left items for the next run', 'outbox/LeftForNextRun'],
    ['parked items', 'outbox/ParkedItems'],
    ['newly parked items', 'outbox/ItemsParked'],
    ['parked items retried', 'outbox/ParkedRepublished'],
    ['reconciler republished', 'outbox/Republished'],
    ['missing events restored', 'outbox/AuditMissingEventsRepaired'],
    ['read model repaired', 'outbox/AuditReadModelRepaired'],
    ['projection lag', 'orders-read-model/ProjectionLag'],
    ['API latency', 'AWS/ApiGateway/Latency'],
    ['API 5xx', 'AWS/ApiGateway/5xx'],
    ['API 4xx', 'AWS/ApiGateway/4xx'],
    ['API requests', 'AWS/ApiGateway/Count'],
    ['function throttles', 'AWS/Lambda/Throttles'],
    ['table throttles', 'AWS/DynamoDB/WriteThrottleEvents'],
    ['reconciler run time', 'AWS/Lambda/Duration'],
  ])('shows %s', (_name, metric) => {
    expect(metricsOn(dashboardOf(defaults).widgets)).toContain(metric);
  });

  it('heads the page with the state of every alarm of the stack', () => {
    const widget = dashboardOf(defaults).widgets.find((w) => w.type === 'alarm');

    expect(widget?.properties.alarms?.sort()).toEqual(defaults.stack.alarms.map((alarm) => `GetAtt:${defaults.stack.getLogicalId(alarm.node.defaultChild as never)}`).sort());
  });

  it('names the dashboard in an output', () => {
    defaults.template.hasOutput('DashboardName', { Value: { Ref: defaults.stack.getLogicalId(defaults.stack.dashboard.node.defaultChild as never) } });
  });
});
