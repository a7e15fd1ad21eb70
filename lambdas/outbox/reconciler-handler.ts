import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { ParkedRetry, RetryParkedReport } from './parked-retry';
import type { OutboxParker, ParkedStats } from './parker';
import type { OutboxSweeper, SweepReport } from './reconciler';
import { correlationIdOf } from './trace-header';

/** What an audit is given: its window, the grace period, its share of the run's time, its caps. */
export interface AuditRunOptions {
  readonly windowHours: number;
  readonly graceSeconds: number;
  /** Epoch milliseconds: the audit stops starting work after this and resumes next run. */
  readonly deadline: number;
  readonly maxOrders: number;
  readonly maxRepairs: number;
}

/** An audit an application adds to the sweep (the Orders service checks orders against outbox and read model). */
export interface Audit<TReport extends object> {
  run(options: AuditRunOptions): Promise<TReport>;
}

export interface ReconcilerSettings {
  readonly graceSeconds: number;
  readonly maxItems: number;
  readonly auditWindowHours: number;
  readonly auditMaxOrders: number;
  readonly auditMaxRepairs: number;
}

export interface ReconcilerParts<TAudit extends object> {
  readonly sweeper: OutboxSweeper;
  readonly parker: OutboxParker;
  readonly retry: ParkedRetry;
  readonly audit?: Audit<TAudit>;
}

/** The scheduled event, or a manual run's body merged into it. */
const invocation = z
  .object({
    graceSeconds: z.number().int().min(0).max(86_400).optional(),
    maxItems: z.number().int().min(1).max(100_000).optional(),
    retryParked: z.boolean().optional(),
    aggregateId: z.string().min(1).max(1024).optional(),
  })
  .passthrough();

export type ReconcilerResult<TAudit> = {
  retried?: Omit<RetryParkedReport, 'failures'> & { failed: number };
  sweep?: Omit<SweepReport, 'failed' | 'republishedItems'> & { failed: number };
  sweepError?: string;
  audit?: TAudit;
  auditError?: string;
  parked: ParkedStats;
};

/** Time kept back at the end of an invocation for the last writes, logs and metrics. */
const SAFETY_MARGIN_MS = 10_000;

/**
 * The scheduled reconciler. The sweep of pending items runs first and always; an operator's
 * retry of parked events (when asked) before it; the application's audit after it, in its own
 * error boundary and within the time left, so a failing or slow audit is a metric and an alarm,
 * never a sweep that did not happen. Then the parked backlog is measured.
 */
export const createReconcilerHandler =
  <TAudit extends object>(parts: ReconcilerParts<TAudit>, settings: ReconcilerSettings, logger: Logger, metrics: Metrics) =>
  async (event: unknown, context: Context): Promise<ReconcilerResult<TAudit>> => {
    logger.addContext(context);
    const parsed = invocation.safeParse(event ?? {});
    if (!parsed.success) {
      throw new Error(`The reconciler invocation is not valid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    }
    const options = parsed.data;
    const graceSeconds = options.graceSeconds ?? settings.graceSeconds;
    const deadline = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    const result: ReconcilerResult<TAudit> = { parked: { count: 0, oldestParkedAgeMs: 0 } };
    try {
      if (options.retryParked === true) {
        try {
          const retried = await parts.retry.retry({ maxAggregates: options.maxItems ?? settings.maxItems, deadline, ...(options.aggregateId === undefined ? {} : { aggregateId: options.aggregateId }) });
          for (const failure of retried.failures) {
            logger.error('Parked outbox item refused again', {
              aggregateId: failure.item.aggregateId,
              version: failure.item.version,
              errorCode: failure.errorCode,
              correlationId: correlationIdOf(failure.item.detail),
            });
          }
          const { failures, ...counts } = retried;
          result.retried = { ...counts, failed: failures.length };
          metrics.addMetric('ParkedRepublished', MetricUnit.Count, retried.republished);
        } catch (error: unknown) {
          logger.error('Retry of parked items failed', { error: describe(error) });
        }
      }

      try {
        const sweep = await parts.sweeper.sweep({ graceSeconds, maxItems: options.maxItems ?? settings.maxItems, deadline });
        for (const failure of sweep.failed) {
          logger.error('Outbox item not republished', {
            aggregateId: failure.item.aggregateId,
            version: failure.item.version,
            errorCode: failure.errorCode,
            permanent: failure.permanent,
            correlationId: correlationIdOf(failure.item.detail),
          });
        }
        // The relay missed these (each one is worth a line: it says which request's event was late).
        for (const item of sweep.republishedItems) logger.info('Outbox item republished', { ...item });
        const { republishedItems: _items, ...counts } = sweep;
        result.sweep = { ...counts, failed: sweep.failed.length };
        metrics.addMetric('Republished', MetricUnit.Count, sweep.republished);
        metrics.addMetric('ItemsParked', MetricUnit.Count, sweep.parked);
        metrics.addMetric('OldestPendingAge', MetricUnit.Milliseconds, sweep.oldestPendingAgeMs);
        metrics.addMetric('LeftForNextRun', MetricUnit.Count, sweep.leftForNextRun ? 1 : 0);
        metrics.addMetric('ItemsRead', MetricUnit.Count, sweep.itemsRead);
      } catch (error: unknown) {
        result.sweepError = describe(error);
        metrics.addMetric('SweepFailures', MetricUnit.Count, 1);
        logger.error('Outbox sweep failed', { error: result.sweepError });
      }

      if (parts.audit !== undefined) {
        try {
          const audit = await parts.audit.run({
            windowHours: settings.auditWindowHours,
            graceSeconds,
            deadline,
            maxOrders: settings.auditMaxOrders,
            maxRepairs: settings.auditMaxRepairs,
          });
          result.audit = audit;
          // An audit that went on past failed checks still failed at something: it counts.
          const failedChecks = (audit as { ordersFailed?: unknown }).ordersFailed;
          const partial = typeof failedChecks === 'number' && failedChecks > 0;
          if (partial) logger.error('Audit checks failed; the run went on', { failedChecks, firstError: (audit as { firstError?: unknown }).firstError });
          metrics.addMetric('AuditFailures', MetricUnit.Count, partial ? 1 : 0);
          for (const [name, value] of Object.entries(audit)) {
            if (typeof value === 'number') metrics.addMetric(`Audit${name[0]?.toUpperCase()}${name.slice(1)}`, MetricUnit.Count, value);
          }
        } catch (error: unknown) {
          result.auditError = describe(error);
          metrics.addMetric('AuditFailures', MetricUnit.Count, 1);
          logger.error('Audit failed; the sweep ran, the audit resumes next run', { error: result.auditError });
        }
      }

      try {
        result.parked = await parts.parker.stats();
        metrics.addMetric('ParkedItems', MetricUnit.Count, result.parked.count);
        metrics.addMetric('OldestParkedAge', MetricUnit.Milliseconds, result.parked.oldestParkedAgeMs);
      } catch (error: unknown) {
        logger.error('Could not count parked items', { error: describe(error) });
      }

      const left = result.sweep?.leftForNextRun === true;
      logger.info(left ? 'Reconcile run done; items are left for the next run' : 'Reconcile run done', { graceSeconds, ...result });
      // A sweep that failed is the reconciler failing: its Errors metric and alarm see it.
      if (result.sweepError !== undefined) throw new Error(`The outbox sweep failed: ${result.sweepError}`);
      return result;
    } finally {
      metrics.publishStoredMetrics();
    }
  };

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
