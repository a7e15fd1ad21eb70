import { type OperationFailure, type RetryParkedAnswer, appendCapped } from '../../lambdas/outbox/operations';
import { OPS_OUTPUTS } from '../../lib/ops-outputs';
import { type Io, failureTable } from '../output';
import type { OpsTarget } from '../target';

/** Invocations at most when retrying every parked order (each takes what it can in its time). */
const MAX_ROUNDS = 20;

/**
 * `retry-parked [--order ID]`: parked events back on the bus in version order, their holds lifted.
 * Every order: again while a round republished something and refused nothing.
 */
export const retryParked = async (target: OpsTarget, io: Io, json: boolean, aggregateId: string | undefined): Promise<number> => {
  const fn = target.output(OPS_OUTPUTS.operationsFunction);
  const total = { aggregates: 0, republished: 0, stillParked: 0, waitingBehindPending: 0, released: 0, failed: [] as OperationFailure[], failedCount: 0 };
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const answer = await target.invoke<RetryParkedAnswer>(fn, { operation: 'retry-parked', ...(aggregateId === undefined ? {} : { aggregateId }), maxSeconds: 240 });
    total.aggregates += answer.aggregates;
    total.republished += answer.republished;
    total.stillParked += answer.stillParked;
    total.waitingBehindPending += answer.waitingBehindPending;
    total.released += answer.released;
    total.failedCount += answer.failedCount;
    appendCapped(total.failed, answer.failed);
    if (aggregateId !== undefined || answer.failedCount > 0 || answer.republished === 0) break;
  }
  const refused = total.stillParked - total.waitingBehindPending;
  if (json) io.stdout(`${JSON.stringify(total)}\n`);
  else if (total.republished === 0 && total.stillParked === 0 && total.released === 0) {
    io.stdout(aggregateId === undefined ? 'No parked events.\n' : `Order ${aggregateId} has no parked events.\n`);
  } else {
    io.stdout(
      `Retried the parked events of ${total.aggregates} order${total.aggregates === 1 ? '' : 's'}: ${total.republished} republished, ` +
        `${total.stillParked} still parked (${refused} refused again or behind a refused version, ${total.waitingBehindPending} waiting behind a version still pending), ` +
        `${total.released} order${total.released === 1 ? '' : 's'} flowing again.\n`,
    );
    if (total.failed.length > 0) io.stdout(failureTable(total.failed));
  }
  if (refused > 0) {
    io.stderr(`${refused} event${refused === 1 ? ' is' : 's are'} still parked: the bus refused again (see the table, or: npm run outbox -- parked).\n`);
    return 1;
  }
  if (total.waitingBehindPending > 0) {
    io.stderr(
      `${total.waitingBehindPending} event${total.waitingBehindPending === 1 ? ' waits' : 's wait'} behind a version still pending (its park failed): ` +
        "run retry-parked again after the reconciler's next sweep has parked it.\n",
    );
    return 1;
  }
  return 0;
};
