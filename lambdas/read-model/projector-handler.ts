import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { OrderProjector, ProjectionReport } from './projector';

/** The projector as an EventBridge rule target: metrics and a log line per event, ids only. */
export const createProjectorHandler =
  (projector: OrderProjector, logger: Logger, metrics: Metrics) =>
  async (event: unknown, context: Context): Promise<ProjectionReport> => {
    logger.addContext(context);
    try {
      const report = await projector.project(event);
      const metric = { applied: 'EventsApplied', duplicate: 'DuplicatesSkipped', stale: 'StaleSkipped' }[report.outcome];
      metrics.addMetric(metric, MetricUnit.Count, 1);
      metrics.addMetric('ProjectionLag', MetricUnit.Milliseconds, report.lagMs);
      if (report.gap > 0) {
        metrics.addMetric('Gaps', MetricUnit.Count, 1);
        logger.warn('Applied an event across a gap', { aggregateId: report.aggregateId, version: report.version, missing: report.gap });
      }
      logger.info('Event projected', { ...report });
      return report;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
