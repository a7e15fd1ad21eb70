import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { OutboxItem } from './item';

/** What the publisher needs of an outbox item. */
export type PublishableItem = Pick<
  OutboxItem,
  'aggregateId' | 'version' | 'eventId' | 'source' | 'detailType' | 'detail' | 'occurredAt' | 'traceHeader'
>;

/** `PutEvents` takes at most this many entries a call. */
export const MAX_ENTRIES_PER_CALL = 10;

/** The historical request limit, 256 KB; AWS raised it to 1 MB in 2026. Either way it is configurable. */
export const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;

/**
 * One EventBridge entry per outbox item: the stored detail verbatim, stamped with when it
 * happened, and carrying the writing request's X-Ray trace header when the item has one, so
 * EventBridge continues that trace to the targets.
 */
export const toEntry = (item: PublishableItem, eventBusName: string): PutEventsRequestEntry => ({
  EventBusName: eventBusName,
  Source: item.source,
  DetailType: item.detailType,
  Detail: item.detail,
  Time: new Date(item.occurredAt),
  ...(item.traceHeader === undefined ? {} : { TraceHeader: item.traceHeader }),
});

const utf8 = (value: string | undefined): number => (value === undefined ? 0 : Buffer.byteLength(value, 'utf8'));

/**
 * The size counted against the request limit: EventBridge's documented rule (14 bytes for `Time`
 * when present, and the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of
 * `Resources`), plus the UTF-8 bytes of `TraceHeader`. The documented rule does not name
 * `TraceHeader` (it predates it); counting it anyway (at most 500 bytes an entry) can only make a
 * call a little smaller than it could be, never one EventBridge refuses as too large. The bus
 * name and the JSON around the entry do not count.
 */
export const entrySize = (entry: PutEventsRequestEntry): number =>
  (entry.Time === undefined ? 0 : 14) +
  utf8(entry.Source) +
  utf8(entry.DetailType) +
  utf8(entry.Detail) +
  (entry.Resources ?? []).reduce((sum, resource) => sum + utf8(resource), 0) +
  utf8(entry.TraceHeader);

/**
 * Packs entries into as few calls as the limits allow: at most 10 entries and at most
 * `maxRequestBytes` a call. First-fit decreasing: the largest entries are placed first, each in
 * the first call with room, which is optimal for equal sizes and close to it otherwise. Every
 * entry must fit alone (callers set aside those that do not). Entries of one wave belong to
 * different aggregates, so their order across calls does not matter.
 */
export const packCalls = <T>(
  entries: readonly T[],
  sizeOf: (entry: T) => number,
  maxRequestBytes: number,
): T[][] => {
  const calls: { entries: T[]; bytes: number }[] = [];
  const bySizeDescending = entries.map((entry) => ({ entry, size: sizeOf(entry) })).sort((a, b) => b.size - a.size);
  for (const { entry, size } of bySizeDescending) {
    const call = calls.find((c) => c.entries.length < MAX_ENTRIES_PER_CALL && c.bytes + size <= maxRequestBytes);
    if (call === undefined) {
      calls.push({ entries: [entry], bytes: size });
    } else {
      call.entries.push(entry);
      call.bytes += size;
    }
  }
  return calls.map((call) => call.entries);
};
