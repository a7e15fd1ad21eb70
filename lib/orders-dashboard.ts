import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { OrderReadModel } from './order-read-model';
import { sumOf, tableThrottleMetrics } from './outbox-alarms';
import type { TransactionalOutbox } from './transactional-outbox';

export interface OrdersDashboardProps {
  readonly api: IHttpApi;
  readonly outbox: TransactionalOutbox;
  readonly readModel: OrderReadModel;
  /** The Powertools namespace (and `service` dimension) of the order functions, where `CommandsAccepted` lands. */
  readonly ordersNamespace: string;
  /** The functions and tables whose throttles are shown (the outbox's are added). */
  readonly functions: readonly IFunction[];
  readonly tables: readonly ITable[];
  /** Every alarm of the stack, for the status widget. */
  readonly alarms: readonly IAlarm[];
  /**
   * The dashboard's name.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
}

const MINUTE = Duration.minutes(1);

/**
 * The flow of the Orders service on one page, in the order an event travels: commands accepted
 * by the API, events published by the relay (and republished by the reconciler), what is still
 * pending or parked, and how far behind the read model is. The alarms' states head it.
 */
export class OrdersDashboard extends Construct {
  public readonly dashboard: Dashboard;

  public constructor(scope: Construct, id: string, props: OrdersDashboardProps) {
    super(scope, id);
    const { api, outbox, readModel } = props;
    const sum = (metric: Metric, label: string) => metric.with({ statistic: 'Sum', period: MINUTE, label });
    const stat = (metric: Metric, statistic: string, label: string) => metric.with({ statistic, period: MINUTE, label });
    const own = (metricName: string) => outbox.metric(metricName);
    const orders = (metricName: string) =>
      new Metric({ namespace: props.ordersNamespace, metricName, dimensionsMap: { service: props.ordersNamespace } });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 8, height: 6, period: MINUTE });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '## Orders: API -> outbox -> EventBridge -> read model\n' +
          'Every accepted command writes one outbox event: **Commands accepted** and **Events published + Republished** should match over time. ' +
          'Pending and parked events have not reached the bus yet; docs/deploy.md has the runbook for each alarm.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }));
    this.dashboard.addWidgets(
      graph('Commands accepted, events published', [
        sum(orders('CommandsAccepted'), 'Commands accepted'),
        sum(own('EventsPublished'), 'Events published (relay)'),
        sum(own('Republished'), 'Republished (reconciler)'),
      ]),
      graph('PutEvents calls', [sum(own('PutEventsCalls'), 'PutEvents calls'), sum(own('EntriesRetried'), 'Entries retried')]),
      graph(
        'Relay lag (ms)',
        [stat(own('RelayLag'), 'p50', 'Relay lag p50'), stat(own('RelayLag'), 'p99', 'Relay lag p99'), stat(own('RelayLag'), 'Maximum', 'Relay lag max')],
        [outbox.relayFunction.metric('IteratorAge', { statistic: 'Maximum', period: MINUTE, label: 'Stream iterator age max' })],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Pending backlog',
        [stat(own('OldestPendingAge'), 'Maximum', 'Oldest pending age (ms)')],
        [stat(own('LeftForNextRun'), 'Maximum', 'Sweep left items for the next run (1 = yes)')],
      ),
      graph(
        'Parked',
        [stat(own('ParkedItems'), 'Maximum', 'Parked now'), sum(own('ItemsParked'), 'Newly parked')],
        [sum(own('ParkedRepublished'), 'Parked retried and republished')],
      ),
      graph('Reconciler republished and repaired', [
        sum(own('Republished'), 'Republished'),
        sum(own('AuditMissingEventsRepaired'), 'Missing events restored'),
        sum(own('AuditReadModelRepaired'), 'Read model repaired'),
        sum(own('AuditTtlRepaired'), 'Expiry repaired'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Projection lag (ms)', [
        stat(readModel.metric('ProjectionLag'), 'p50', 'Projection lag p50'),
        stat(readModel.metric('ProjectionLag'), 'p99', 'Projection lag p99'),
        stat(readModel.metric('ProjectionLag'), 'Maximum', 'Projection lag max'),
      ]),
      graph('API latency (ms)', [
        api.metricLatency({ statistic: 'p50', period: MINUTE, label: 'Latency p50' }),
        api.metricLatency({ statistic: 'p99', period: MINUTE, label: 'Latency p99' }),
        api.metricIntegrationLatency({ statistic: 'p99', period: MINUTE, label: 'Integration latency p99' }),
      ]),
      graph(
        'API requests and errors',
        [api.metricClientError({ statistic: 'Sum', period: MINUTE, label: '4xx' }), api.metricServerError({ statistic: 'Sum', period: MINUTE, label: '5xx' })],
        [api.metricCount({ statistic: 'Sum', period: MINUTE, label: 'Requests' })],
      ),
    );
    this.dashboard.addWidgets(
      graph('Throttles', [
        sumOf(
          [...props.functions, outbox.relayFunction].map((fn) => fn.metricThrottles({ statistic: 'Sum', period: MINUTE })),
          MINUTE,
          'Throttled invocations',
          'fn',
        ),
        sumOf(tableThrottleMetrics([...props.tables, outbox.table], MINUTE), MINUTE, 'Table throttle events', 'table'),
      ]),
      graph('Reconciler run time (ms)', [
        outbox.reconcilerFunction.metricDuration({ statistic: 'Maximum', period: Duration.minutes(5), label: 'Longest run' }),
      ]),
      graph('Function errors', [
        outbox.relayFunction.metricErrors({ statistic: 'Sum', period: MINUTE, label: 'Relay' }),
        outbox.reconcilerFunction.metricErrors({ statistic: 'Sum', period: MINUTE, label: 'Reconciler' }),
        readModel.projector.metricErrors({ statistic: 'Sum', period: MINUTE, label: 'Projector' }),
        readModel.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, label: 'Projector dead letters' }),
        outbox.relayFailureQueue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, label: 'Relay failure queue' }),
      ]),
    );
  }
}
