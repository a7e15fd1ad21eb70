import type { ParkedEvent } from '../../lambdas/outbox/operations';
import { OPS_OUTPUTS } from '../../lib/ops-outputs';
import { type Io, humanDuration, table } from '../output';
import type { OpsTarget } from '../target';

/** Parked events listed at most (a backlog this size means a systemic refusal: see the alarm first). */
const MAX_LISTED = 10_000;

/** `parked`: every parked event, the longest-parked first: order, version, error code, since when. */
export const parked = async (target: OpsTarget, io: Io, json: boolean): Promise<number> => {
  const fn = target.output(OPS_OUTPUTS.operationsFunction);
  const items: ParkedEvent[] = [];
  let cursor: string | undefined;
  do {
    const page: { items: ParkedEvent[]; cursor?: string } = await target.invoke(fn, { operation: 'parked', limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined && items.length < MAX_LISTED);
  if (json) {
    io.stdout(`${JSON.stringify({ items, ...(cursor === undefined ? {} : { truncated: true }) })}\n`);
    return 0;
  }
  if (items.length === 0) {
    io.stdout('No parked events.\n');
    return 0;
  }
  const now = Date.now();
  io.stdout(
    table(
      ['order id', 'version', 'event', 'error code', 'parked since', 'attempts'],
      items.map((item) => [
        item.aggregateId,
        item.version,
        item.detailType ?? '',
        item.errorCode ?? '',
        `${item.parkedAt} (${humanDuration(now - Date.parse(item.parkedAt))} ago)`,
        item.publishAttempts ?? '',
      ]),
    ),
  );
  io.stdout(`${items.length} parked event${items.length === 1 ? '' : 's'}${cursor === undefined ? '' : ` (the first ${items.length}; more are parked)`}. Fix the cause, then: npm run outbox -- retry-parked [--order ID]\n`);
  return 0;
};
