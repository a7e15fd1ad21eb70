import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { OutboxRelay } from './relay';
import { correlationIdOf } from './trace-header';

export type RelayHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/**
 * The Lambda side of the relay: logs what could not be published and what was parked (ids and
 * codes, never payloads), emits the relay's metrics, and answers with the partial batch response.
 */
export const createOutboxRelayHandler =
  (relay: OutboxRelay, logger: Logger, metrics: Metrics): RelayHandler =>
  async (event, context) => {
    logger.addContext(context);
    try {
      const { response, report, failures, parked } = await relay.relay(event.Records);
      for (const item of parked) {
        logger.error('Outbox item parked', {
          aggregateId: item.aggregateId,
          version: item.version,
          errorCode: item.errorCode,
          correlationId: correlationIdOf(item.item.detail),
        });
      }
      for (const failure of failures) {
        logger.error('Outbox item not published', {
          aggregateId: failure.item.aggregateId,
          version: failure.item.version,
          eventId: failure.item.eventId,
          correlationId: correlationIdOf(failure.item.detail),
          sequenceNumber: failure.item.sequenceNumber,
          errorCode: failure.errorCode,
          errorMessage: failure.errorMessage,
          permanent: failure.permanent,
        });
      }
      metrics.addMetric('EventsPublished', MetricUnit.Count, report.published);
      metrics.addMetric('EntriesRetried', MetricUnit.Count, report.retriedEntries);
      metrics.addMetric('PermanentFailures', MetricUnit.Count, report.failedPermanently);
      metrics.addMetric('ItemsParked', MetricUnit.Count, report.parked);
      metrics.addMetric('TransientFailures', MetricUnit.Count, report.failedTransiently);
      metrics.addMetric('RecordsSkipped', MetricUnit.Count, report.skipped);
      metrics.addMetric('RecordsAlreadyPublished', MetricUnit.Count, report.alreadyPublished);
      metrics.addMetric('RecordsAlreadyParked', MetricUnit.Count, report.alreadyParked);
      metrics.addMetric('RecordsMissingFromOutbox', MetricUnit.Count, report.missingFromOutbox);
      metrics.addMetric('StatusCheckFailures', MetricUnit.Count, report.statusCheckError === undefined ? 0 : 1);
      if (report.missingFromOutbox > 0) {
        logger.warn('Outbox items missing from the table were published from their stream records', { count: report.missingFromOutbox });
      }
      if (report.statusCheckError !== undefined) {
        logger.warn('Could not read the status of older records; published them anyway', { error: report.statusCheckError });
      }
      metrics.addMetric('MarkFailures', MetricUnit.Count, report.mark.failed);
      metrics.addMetric('PutEventsCalls', MetricUnit.Count, report.calls);
      for (const lag of report.lagsMs) {
        metrics.addMetric('RelayLag', MetricUnit.Milliseconds, lag);
      }
      const { lagsMs: _lags, ...counts } = report;
      logger.info('Relay batch done', {
        ...counts,
        resumeFrom: response.batchItemFailures[0]?.itemIdentifier,
      });
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
