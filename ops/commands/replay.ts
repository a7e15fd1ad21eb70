import { type ReplayReport, appendCapped, newReplayReport } from '../../lambdas/outbox/operations';
import { OPS_OUTPUTS } from '../../lib/ops-outputs';
import { type Io, failureTable, humanDuration, progressBar, table } from '../output';
import type { OpsTarget } from '../target';

export type ReplayRequest = { readonly aggregateId: string } | { readonly since: Date; readonly until: Date };

/**
 * `replay --order ID` or `replay --since ISO [--until ISO]`: published events sent to the bus
 * again with their original `eventId`s (every rule on the bus gets them again; consumers dedupe).
 * A window goes a minute of work an invocation, with a progress bar over its index partitions,
 * and stops early when the bus refused every event of an invocation.
 */
export const replay = async (target: OpsTarget, io: Io, json: boolean, request: ReplayRequest): Promise<number> => {
  const fn = target.output(OPS_OUTPUTS.operationsFunction);
  const archive = target.optionalOutput(OPS_OUTPUTS.archive);
  const archiveHint = archive === undefined ? 'the bus archive, if the bus has one' : `the bus archive ${archive} (StartReplay)`;
  let report: ReplayReport;
  let stoppedEarly = false;
  if ('aggregateId' in request) {
    report = await target.invoke<ReplayReport>(fn, { operation: 'replay', aggregateId: request.aggregateId });
    if (report.found === 0) {
      io.stderr(`No outbox events for order ${request.aggregateId}: never written, or pruned after the retention (older events are in ${archiveHint}).\n`);
      return 1;
    }
  } else {
    ({ report, stoppedEarly } = await replayWindow(target, io, fn, request));
    if (!json) io.stdout(`Window ${request.since.toISOString()} .. ${request.until.toISOString()} (occurredAt, UTC)\n`);
    if (report.found === 0) {
      io.stderr(
        `No outbox events occurred in this window. The outbox keeps published events ${humanDuration(report.retentionSeconds * 1000)} ` +
          `after publishing, and events written before its occurred index existed are not in it: ${archiveHint} has them.\n`,
      );
    } else if (request.since.getTime() < Date.now() - report.retentionSeconds * 1000) {
      io.stderr(`Events published more than ${humanDuration(report.retentionSeconds * 1000)} ago are pruned from the outbox; for those, or to replay to one rule only, use ${archiveHint}.\n`);
    }
  }
  if (json) io.stdout(`${JSON.stringify(report)}\n`);
  else {
    if (report.replayedEvents.length > 0 && report.replayedEvents.length <= 100) {
      io.stdout(table(['order id', 'version', 'event', 'eventId'], report.replayedEvents.map((e) => [e.aggregateId, e.version, e.detailType, e.eventId])));
    }
    io.stdout(
      `Replayed ${report.replayed} of ${report.found} event${report.found === 1 ? '' : 's'} found` +
        ` (${report.skippedPending} pending, left to the relay; ${report.skippedParked} parked, left to retry-parked; ${report.failedCount} failed).\n`,
    );
    if (report.failed.length > 0) io.stdout(failureTable(report.failed));
  }
  if (stoppedEarly) {
    io.stderr(`Stopped: the bus refused every event of the last call (${report.failed[0]?.errorCode ?? 'unknown error'}); the rest of the window was not replayed.\n`);
    return 1;
  }
  if (report.failedCount > 0) {
    io.stderr(`${report.failedCount} event${report.failedCount === 1 ? ' was' : 's were'} not replayed: the bus refused them (see the table).\n`);
    return 1;
  }
  return 0;
};

const replayWindow = async (target: OpsTarget, io: Io, fn: string, window: { since: Date; until: Date }): Promise<{ report: ReplayReport; stoppedEarly: boolean }> => {
  const bar = progressBar(io, 'replay');
  const total = newReplayReport(0);
  let cursor: string | undefined;
  let last: ReplayReport;
  let stoppedEarly = false;
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
      total.failedCount += last.failedCount;
      appendCapped(total.failed, last.failed);
      appendCapped(total.replayedEvents, last.replayedEvents);
      if (last.progress !== undefined) bar.update(last.progress.done, last.progress.total);
      // A cursor that does not move would loop for ever: the function always moves one it made.
      if (last.cursor !== undefined && last.cursor === cursor) throw new Error('The operations function handed back the cursor it was given.');
      cursor = last.cursor;
      // Only when there is more to do: a last call that failed is a failure, not a stop.
      stoppedEarly = cursor !== undefined && last.failedCount > 0 && last.replayed === 0;
    } while (cursor !== undefined && !stoppedEarly);
  } finally {
    bar.stop();
  }
  return {
    report: { ...total, retentionSeconds: last.retentionSeconds, ...(last.progress === undefined ? {} : { progress: last.progress }) },
    stoppedEarly,
  };
};
