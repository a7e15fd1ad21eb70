import type { OutboxStatusReport } from '../../lambdas/outbox/operations';
import { OPS_OUTPUTS } from '../../lib/ops-outputs';
import { type Io, humanDuration, table } from '../output';
import type { OpsTarget } from '../target';

export type StatusAnswer = OutboxStatusReport & { readonly failureQueues: Record<string, number> };

/** `status`: the outbox's counts (from the operations function) and the depth of every failure queue. */
export const status = async (target: OpsTarget, io: Io, json: boolean): Promise<number> => {
  const report = await target.invoke<OutboxStatusReport>(target.output(OPS_OUTPUTS.operationsFunction), { operation: 'status' });
  const queues = target.failureQueues();
  const depths = await Promise.all(queues.map(async (queue) => [queue.name, await target.queueDepth(queue.url)] as const));
  const answer: StatusAnswer = { ...report, failureQueues: Object.fromEntries(depths) };
  if (json) {
    io.stdout(`${JSON.stringify(answer)}\n`);
    return 0;
  }
  io.stdout(`Outbox of ${target.stackName} on ${target.where}\n`);
  io.stdout(
    table(
      ['what', 'value'],
      [
        ['pending', answer.pending],
        ['oldest pending', answer.pending === 0 ? '-' : humanDuration(answer.oldestPendingAgeMs)],
        ['published (kept for replay; estimate: ItemCount, refreshed ~6 h)', answer.published],
        ['parked', answer.parked],
        ['oldest parked', answer.parked === 0 ? '-' : humanDuration(answer.oldestParkedAgeMs)],
        ...depths.map(([name, depth]) => [`failure queue ${name}`, depth]),
      ],
    ),
  );
  return 0;
};
