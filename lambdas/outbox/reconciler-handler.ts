import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { OutboxSweeper, SweepReport } from './reconciler';

/** An audit an application adds to the sweep (the Orders service checks orders against outbox and read model). */
export interface Audit<TReport extends object> {
  run(windowHours: number, graceSeconds: number): Promise<TReport>;
}

export interface ReconcilerSettings {
  readonly graceSeconds: number;
  readonly maxItems: number;
  readonly auditWindowHours: number;
}

/** The scheduled event, possibly with a manual run's override of the grace period. */
const invocation = z.object({ graceSeconds: z.number().int().min(0).max(86_400).optional() }).passthrough();

export type ReconcilerResult<TAudit> = { sweep: Omit<SweepReport, 'failed'> & { failed: number }; audit?: TAudit };

/**
 * The scheduled reconciler: the application's audit first (it may restore events to the outbox),
 * then the sweep of pending items past the grace period. Logs what is left for the next run.
 */
export const createReconcilerHandler =
  <TAudit extends object>(
    sweeper: OutboxSweeper,
    settings: ReconcilerSettings,
    logger: Logger,
    metrics: Metrics,
    audit?: Audit<TAudit>,
  ) =>
  async (event: unknown, context: Context): Promise<ReconcilerResult<TAudit>> => {
    logger.addContext(context);
    const parsed = invocation.safeParse(event ?? {});
    const graceSeconds = parsed.success && parsed.data.graceSeconds !== undefined ? parsed.data.graceSeconds : settings.graceSeconds;
    try {
      const auditReport = audit === undefined ? undefined : await audit.run(settings.auditWindowHours, graceSeconds);
      const sweep = await sweeper.sweep({ graceSeconds, maxItems: settings.maxItems });
      for (const failure of sweep.failed) {
        logger.error('Outbox item not republished', {
          aggregateId: failure.item.aggregateId,
          version: failure.item.version,
          errorCode: failure.errorCode,
          permanent: failure.permanent,
        });
      }
      metrics.addMetric('Republished', MetricUnit.Count, sweep.republished);
      metrics.addMetric('OldestPendingAge', MetricUnit.Milliseconds, sweep.oldestPendingAgeMs);
      metrics.addMetric('LeftForNextRun', MetricUnit.Count, sweep.leftForNextRun ? 1 : 0);
      metrics.addMetric('ItemsRead', MetricUnit.Count, sweep.itemsRead);
      if (auditReport !== undefined) {
        for (const [name, value] of Object.entries(auditReport)) {
          if (typeof value === 'number') metrics.addMetric(`Audit${name[0]?.toUpperCase()}${name.slice(1)}`, MetricUnit.Count, value);
        }
      }
      const result = { sweep: { ...sweep, failed: sweep.failed.length }, ...(auditReport === undefined ? {} : { audit: auditReport }) };
      const message = sweep.leftForNextRun ? 'Reconcile run done; items are left for the next run' : 'Reconcile run done';
      logger.info(message, { graceSeconds, ...result });
      return result;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
