import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { OutboxOperations } from './operations';

const isoTime = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const aggregateId = z.string().min(1).max(1024);
/** Seconds of work one invocation takes on at most; the caller invokes again with the cursor. */
const budget = z.number().int().min(1).max(840).optional();

/** What the operations CLI asks of an outbox, one operation an invocation. */
export const operationRequest = z.discriminatedUnion('operation', [
  z.object({ operation: z.literal('status') }).strict(),
  z.object({ operation: z.literal('parked'), limit: z.number().int().min(1).max(1000).optional(), cursor: z.string().min(1).max(4096).optional() }).strict(),
  z
    .object({
      operation: z.literal('stored-events'),
      keys: z.array(z.object({ aggregateId, version: z.number().int().min(1) }).strict()).min(1).max(10),
    })
    .strict(),
  z.object({ operation: z.literal('retry-parked'), aggregateId: aggregateId.optional(), maxAggregates: z.number().int().min(1).max(100_000).optional(), maxSeconds: budget }).strict(),
  // One order's events, or a window's (then `until` is required, and `cursor` resumes a window).
  z
    .object({
      operation: z.literal('replay'),
      aggregateId: aggregateId.optional(),
      since: isoTime.optional(),
      until: isoTime.optional(),
      cursor: z.string().min(1).max(4096).optional(),
      maxSeconds: budget,
    })
    .strict()
    .superRefine((replay, ctx) => {
      if (replay.aggregateId !== undefined) {
        for (const key of ['since', 'until', 'cursor', 'maxSeconds'] as const) {
          if (replay[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'not with aggregateId: a replay is of one order or of a window' });
        }
        return;
      }
      if (replay.since === undefined || replay.until === undefined) {
        ctx.addIssue({ code: 'custom', path: [], message: 'a replay needs aggregateId, or since and until' });
      } else if (replay.since instanceof Date && replay.until instanceof Date && replay.since.getTime() > replay.until.getTime()) {
        // (Refinements run even when a time failed its own check: then it is not a Date yet.)
        ctx.addIssue({ code: 'custom', path: ['since'], message: 'since must not be after until' });
      }
    }),
]);

export type OperationRequest = z.input<typeof operationRequest>;

/** Time kept back at the end of an invocation for the answer, logs and metrics. */
const SAFETY_MARGIN_MS = 10_000;
const DEFAULT_BUDGET_SECONDS = 60;

/**
 * The operations function: one operator request an invocation (`status`, `parked`,
 * `stored-events`, `retry-parked`, `replay`), validated, logged as one line with its outcome, and answered as JSON.
 * A request that is not valid fails the invocation with the reason and touches nothing.
 */
export const createOperationsHandler =
  (operations: OutboxOperations, logger: Logger, metrics: Metrics) =>
  async (event: unknown, context: Context): Promise<unknown> => {
    logger.addContext(context);
    const parsed = operationRequest.safeParse(event);
    if (!parsed.success) {
      throw new Error(`The operation request is not valid: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`).join('; ')}`);
    }
    const request = parsed.data;
    const deadlineOf = (maxSeconds: number | undefined): number =>
      Date.now() + Math.max(0, Math.min((maxSeconds ?? DEFAULT_BUDGET_SECONDS) * 1000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS));
    try {
      switch (request.operation) {
        case 'status':
          return await operations.status();
        case 'parked':
          return await operations.parked(request.limit ?? 100, request.cursor);
        case 'stored-events':
          return { events: await operations.storedEvents(request.keys) };
        case 'retry-parked': {
          const report = await operations.retryParked({
            maxAggregates: request.maxAggregates ?? 1000,
            deadline: deadlineOf(request.maxSeconds),
            ...(request.aggregateId === undefined ? {} : { aggregateId: request.aggregateId }),
          });
          for (const failure of report.failed) logger.error('Parked outbox item refused again', { ...failure });
          logger.info('Parked outbox items retried', { aggregateId: request.aggregateId, ...report, failed: report.failedCount });
          metrics.addMetric('ParkedRepublished', MetricUnit.Count, report.republished);
          return report;
        }
        case 'replay': {
          const report =
            request.aggregateId !== undefined
              ? await operations.replayAggregate(request.aggregateId)
              : await operations.replayWindow({
                  // Both set: the schema refuses a window without them.
                  since: request.since ?? new Date(),
                  until: request.until ?? new Date(),
                  deadline: deadlineOf(request.maxSeconds),
                  ...(request.cursor === undefined ? {} : { cursor: request.cursor }),
                });
          for (const failure of report.failed) logger.error('Outbox event not replayed', { ...failure });
          const { replayedEvents, failed, ...counts } = report;
          logger.info('Outbox events replayed', { request: { ...request }, ...counts, failed: failed.length, events: replayedEvents.slice(0, 100) });
          metrics.addMetric('EventsReplayed', MetricUnit.Count, report.replayed);
          return report;
        }
      }
    } finally {
      metrics.publishStoredMetrics();
    }
  };
