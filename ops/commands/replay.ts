import { MAX_LISTED_EVENTS, type OperationFailure, type ReplayReport } from '../../lambdas/outbox/operations';
import { OPS_OUTPUTS } from '../../lib/ops-outputs';
import { type Io, humanDuration, progressBar, table } from '../output';
import type { OpsTarget } from '../target';

export type ReplayRequest = { readonly aggregateId: string } | { readonly since: Date; readonly until: Date };

/**
 * `replay --order ID` or `replay --since ISO [--until ISO]`: published events sent to the bus
 * again with their original `eventId`s (every rule on the bus gets them again; consumers dedupe).
 * A window goes a minute of work an invocation, with a progress bar over its index partitions.
 */
export const replay = async (target: OpsTarget, io: Io, json: boolean, request: ReplayRequest): Promise<number> => {
  const fn = target.output(OPS_OUTPUTS.operationsFunction);
  const archive = target.optionalOutput(OPS_OUTPUTS.archive);
  const archiveHint = archive === undefined ? 'the bus archive, if the bus has one' : `the bus archive ${archive} (StartReplay)`;
  let report: ReplayReport;
  if ('aggregateId' in request) {
    report = await target.invoke<ReplayReport>(fn, { operation: 'replay', aggregateId: request.aggregateId });
    if (report.found === 0) {
      io.stderr(`No outbox events for order ${request.aggregateId}: never written, or pruned after the retention (older events are in ${archiveHint}).\n`);
      return 1;
    }
  } else {
    report = await replayWindow(target, io, fn, request);
    if (request.since.getTime() < Date.now() - report.retentionSeconds * 1000) {
      io.stderr(
        `Note: the outbox keeps published events ${humanDuration(report.retentionSeconds * 1000)} after publishing; for older ones, or to replay to one rule only, use ${archiveHint}.\n`,
      );
    }
  }
  if (json) io.stdout(`${JSON.stringify(report)}\n`);
  else {
    if (report.replayedEvents.length > 0 && report.replayedEvents.length <= 100) {
      io.stdout(table(['order id', 'version', 'event', 'eventId'], report.replayedEvents.map((e) => [e.aggregateId, e.version, e.detailType, e.eventId])));
    }
    io.stdout(
      `Replayed ${report.replayed} of ${report.found} event${report.found === 1 ? '' : 's'} found` +
        ` (${report.skippedPending} pending, left to the relay; ${report.skippedParked} parked, left to retry-parked; ${report.failed.length} failed).\n`,
    );
    if (report.failed.length > 0) io.stdout(table(['order id', 'version', 'error code', 'message'], report.failed.map((f) => [f.aggregateId, f.version, f.errorCode, f.errorMessage])));
  }
  if (report.failed.length > 0) {
    io.stderr(`${report.failed.length} event${report.failed.length === 1 ? ' was' : 's were'} not replayed: the bus refused them (see the table).\n`);
    return 1;
  }
  return 0;
};

const replayWindow = async (target: OpsTarget, io: Io, fn: string, window: { since: Date; until: Date }): Promise<ReplayReport> => {
  const bar = progressBar(io, 'replay');
  const total = { found: 0, replayed: 0, skippedPending: 0, skippedParked: 0, failed: [] as OperationFailure[], replayedEvents: [] as ReplayReport['replayedEvents'][number][] };
  let cursor: string | undefined;
  let last: ReplayReport;
  try {
    do {
      last = await target.invoke<ReplayReport>(fn, {
        operation: 'replay',
        since: window.since.toISOString(),
        until: window.until.toISOString(),
        ...(cursor === undefined ? {} : { cursor }),
      });
      total.found += last.found;
      total.replayed += last.replayed;
      total.skippedPending += last.skippedPending;
      total.skippedParked += last.skippedParked;
      total.failed.push(...last.failed);
      total.replayedEvents.push(...last.replayedEvents.slice(0, Math.max(0, MAX_LISTED_EVENTS - total.replayedEvents.length)));
      if (last.progress !== undefined) bar.update(last.progress.done, last.progress.total);
      cursor = last.cursor;
    } while (cursor !== undefined);
  } finally {
    bar.stop();
  }
  return { ...total, retentionSeconds: last.retentionSeconds, ...(last.progress === undefined ? {} : { progress: last.progress }) };
};
