import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { z } from 'zod';
import type { DispatchOutcome, OutboxDispatcher } from './dispatcher';
import type { PublishableItem } from './entries';
import { type MarkOutcome, keyOf } from './marker';
import type { ParkRequest } from './parker';
import type { PublishFailure } from './publisher';
import { type OutboxStatusReader, RecentlyPublished } from './status';
import { validTraceHeader } from './trace-header';

/** An outbox item as the stream carries it, with the record it came in. */
export interface StreamedItem {
  readonly aggregateId: string;
  readonly version: number;
  readonly eventId: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: string;
  readonly occurredAt: string;
  readonly traceHeader?: string;
  readonly sequenceNumber: string;
}

export interface RelayReport {
  readonly received: number;
  /** Records that are not new pending items: MODIFY, REMOVE, TTL deletions, unknown names. */
  readonly skipped: number;
  /**
   * New pending items not sent again because they are on the bus already: this environment
   * published them (a batch Lambda restarted at an earlier failed record), or the status check
   * read them back as published (the sweep got there first).
   */
  readonly alreadyPublished: number;
  /** New pending items not sent because the status check found them parked (a retry sends them, in order). */
  readonly alreadyParked: number;
  /**
   * Items the status check did not find in the table at all (deleted by hand, a migration, a
   * bug): published from their stream image, which may be their last copy, and worth a look.
   */
  readonly missingFromOutbox: number;
  /** Items whose status was read because they were older than the check's threshold. */
  readonly statusChecked: number;
  /** The status check's error, when it failed (those items were published anyway: a duplicate, never a loss). */
  readonly statusCheckError?: string;
  readonly published: number;
  /** Items parked by this batch: refused for good, or held behind a parked version. */
  readonly parked: number;
  readonly failedPermanently: number;
  readonly failedTransiently: number;
  /** Items left for Lambda's retry: transient failures and the versions behind them. */
  readonly retryable: number;
  readonly calls: number;
  readonly retriedEntries: number;
  readonly mark: MarkOutcome;
  /** Milliseconds in each stage of the dispatch. */
  readonly stageMs: DispatchOutcome<PublishableItem>['stageMs'];
  /** Publish time minus `occurredAt`, per published event. */
  readonly lagsMs: readonly number[];
}

export interface RelayResult {
  readonly response: DynamoDBBatchResponse;
  readonly report: RelayReport;
  readonly failures: readonly PublishFailure<StreamedItem>[];
  readonly parked: readonly (ParkRequest & { readonly item: StreamedItem })[];
}

const outboxItemSchema = z.object({
  aggregateId: z.string().min(1),
  version: z.number().int().positive(),
  eventId: z.string().min(1),
  source: z.string().min(1),
  detailType: z.string().min(1),
  detail: z.string().min(2),
  occurredAt: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'is not a time'),
  // Tracing never makes an item unpublishable: a malformed header is left out.
  traceHeader: z.unknown().optional(),
});

export interface OutboxRelayOptions {
  /** Reads the status of items old enough for the sweep to have taken them. @default - no status check */
  readonly statusReader?: Pick<OutboxStatusReader, 'statusOf'>;
  /**
   * Items at least this old (by `occurredAt`) are checked before publishing. The scheduled sweep
   * only takes items past its grace, so this is set to the grace: younger records are rarely
   * published already (a manual run with a shorter grace can; that costs a duplicate, never a
   * loss). @default 120000
   */
  readonly statusCheckAfterMs?: number;
  /** `eventId`s of published events this environment remembers (0: none). @default - RecentlyPublished's capacity */
  readonly rememberPublished?: number;
  readonly now?: () => number;
}

/**
 * The outbox relay: from a batch of stream records to events on the bus, then marks.
 *
 * Only INSERTs of pending items are published; everything else is skipped and counted, never
 * failed. An event EventBridge refuses for good (and a malformed pending item) is parked with the
 * later versions of its aggregate, so it never stalls the shard. The answer names the earliest
 * record (by sequence number) that failed transiently, or was held back behind one: Lambda
 * resumes the shard there, so nothing after it is skipped. Publishing more than the earliest
 * failure means some events are published again on that retry; consumers dedupe on `eventId`.
 */
export class OutboxRelay {
  private readonly recent: RecentlyPublished | undefined;
  private readonly now: () => number;
  private readonly statusCheckAfterMs: number;

  public constructor(
    private readonly dispatcher: OutboxDispatcher,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.recent = options.rememberPublished === 0 ? undefined : new RecentlyPublished(options.rememberPublished);
    this.now = options.now ?? Date.now;
    this.statusCheckAfterMs = options.statusCheckAfterMs ?? 120_000;
  }

  public async relay(records: readonly DynamoDBRecord[]): Promise<RelayResult> {
    const items: StreamedItem[] = [];
    const malformed: PublishFailure<StreamedItem>[] = [];
    let skipped = 0;
    for (const record of records) {
      const parsed = parse(record);
      if (parsed.kind === 'skip') {
        skipped += 1;
      } else if (parsed.kind === 'malformed') {
        malformed.push(parsed.failure);
      } else {
        items.push(parsed.item);
      }
    }

    const fresh = await this.notYetPublished(items);
    const outcome = await this.dispatcher.dispatch(fresh.items, malformed);
    // Remembered only once marked: a batch retried after a failed mark must mark it (by publishing again).
    if (outcome.mark.failed === 0) for (const item of outcome.published) this.recent?.add(item.eventId);
    const publishedAt = this.now();
    const earliest = outcome.retryable.reduce<StreamedItem | undefined>(
      (first, item) => (first === undefined || BigInt(item.sequenceNumber) < BigInt(first.sequenceNumber) ? item : first),
      undefined,
    );

    return {
      response: { batchItemFailures: earliest === undefined ? [] : [{ itemIdentifier: earliest.sequenceNumber }] },
      failures: outcome.failures,
      parked: outcome.parked,
      report: {
        received: records.length,
        skipped,
        alreadyPublished: fresh.alreadyPublished,
        alreadyParked: fresh.alreadyParked,
        missingFromOutbox: fresh.missing,
        statusChecked: fresh.checked,
        ...(fresh.error === undefined ? {} : { statusCheckError: fresh.error }),
        published: outcome.published.length,
        parked: outcome.parked.length,
        failedPermanently: outcome.failures.filter((failure) => failure.permanent).length,
        failedTransiently: outcome.failures.filter((failure) => !failure.permanent).length,
        retryable: outcome.retryable.length,
        calls: outcome.calls,
        retriedEntries: outcome.retriedEntries,
        mark: outcome.mark,
        stageMs: outcome.stageMs,
        lagsMs: outcome.published.map((item) => publishedAt - Date.parse(item.occurredAt)),
      },
    };
  }

  /**
   * The items still to publish: not among those this environment published, and, for items old
   * enough that the sweep may have taken them, not read back as published or parked. An item
   * missing from the table is published (its stream image may be its last copy). A failed check
   * publishes them all (a duplicate is harmless; skipping one unsent would lose it).
   */
  private async notYetPublished(items: readonly StreamedItem[]): Promise<{
    items: StreamedItem[];
    alreadyPublished: number;
    alreadyParked: number;
    missing: number;
    checked: number;
    error?: string;
  }> {
    const unsent = items.filter((item) => this.recent?.has(item.eventId) !== true);
    const remembered = items.length - unsent.length;
    const reader = this.options.statusReader;
    const oldest = this.now() - this.statusCheckAfterMs;
    const old = reader === undefined ? [] : unsent.filter((item) => Date.parse(item.occurredAt) <= oldest);
    const none = { alreadyPublished: remembered, alreadyParked: 0, missing: 0, checked: old.length };
    if (reader === undefined || old.length === 0) return { items: unsent, ...none };
    try {
      const statuses = await reader.statusOf(old);
      const notDone = (item: StreamedItem): boolean => {
        const key = keyOf(item);
        return !statuses.published.has(key) && !statuses.parked.has(key);
      };
      return {
        items: unsent.filter(notDone),
        alreadyPublished: remembered + statuses.published.size,
        alreadyParked: statuses.parked.size,
        missing: statuses.missing.size,
        checked: old.length,
      };
    } catch (error: unknown) {
      return { items: unsent, ...none, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }
}

type Parsed =
  | { readonly kind: 'skip' }
  | { readonly kind: 'malformed'; readonly failure: PublishFailure<StreamedItem> }
  | { readonly kind: 'item'; readonly item: StreamedItem };

const parse = (record: DynamoDBRecord): Parsed => {
  // DynamoDB Local names TTL deletions oddly and AWS calls them REMOVE; neither is an INSERT.
  const image = record.dynamodb?.NewImage;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (record.eventName !== 'INSERT' || image === undefined || sequenceNumber === undefined) {
    return { kind: 'skip' };
  }
  const raw = unmarshall(image as Record<string, AttributeValue>);
  // Status first: control records and anything not pending are none of the relay's business.
  if (raw.status !== 'PENDING') {
    return { kind: 'skip' };
  }
  const result = outboxItemSchema.safeParse(raw);
  if (!result.success) {
    const keys = { aggregateId: String(raw.aggregateId ?? ''), version: Number(raw.version ?? 0) };
    return {
      kind: 'malformed',
      failure: {
        item: { ...keys, eventId: '', source: '', detailType: '', detail: '', occurredAt: '', sequenceNumber },
        errorCode: 'MalformedOutboxItem',
        errorMessage: result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
        permanent: true,
        attempts: 0,
      },
    };
  }
  const { traceHeader: rawTraceHeader, ...item } = result.data;
  const traceHeader = validTraceHeader(rawTraceHeader);
  return { kind: 'item', item: { ...item, ...(traceHeader === undefined ? {} : { traceHeader }), sequenceNumber } };
};
