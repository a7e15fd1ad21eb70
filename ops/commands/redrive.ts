import { isDeepStrictEqual } from 'node:util';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { StoredOutboxEvent } from '../../lambdas/outbox/operations';
import { OPS_OUTPUTS } from '../../lib/ops-outputs';
import { FunctionFailedError, type OpsTarget } from '../target';
import { type Io, progressBar, table } from '../output';

/** How long a received message stays hidden while this run works on it. */
const VISIBILITY_SECONDS = 300;
/** Empty receives in a row that end the run (SQS may answer empty while messages remain). */
const EMPTY_RECEIVES_TO_STOP = 3;
/** Messages taken beyond the depth the run started with: dead letters arriving meanwhile wait for the next run. */
const EXTRA_MESSAGES = 100;

export interface RedriveAnswer {
  readonly redriven: number;
  /** Unverified or unreadable dead letters deleted because `--discard-unverified` asked for it. */
  readonly discarded: number;
  /** The projector refused the event again. */
  readonly failed: number;
  /** Not an event the outbox holds (pruned after its retention, or never published by it), or not as it holds it. */
  readonly unverified: number;
  /** Neither a Lambda failure record nor an EventBridge event. */
  readonly unreadable: number;
  readonly failures: readonly { readonly messageId: string; readonly reason: string }[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An EventBridge event as a dead letter carries it. */
export interface DeadLetteredEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: { readonly aggregateId: string; readonly version: number; readonly eventId: string } & Record<string, unknown>;
  readonly [field: string]: unknown;
}

/**
 * The event a dead-lettered message carries: a Lambda on-failure record holds it as
 * `requestPayload`; an EventBridge rule's dead letter is the event itself.
 */
export const deadLetteredEvent = (body: string): DeadLetteredEvent => {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('the body is not a JSON object');
  const record = parsed as { requestContext?: unknown; requestPayload?: unknown };
  const event = (record.requestContext !== undefined && 'requestPayload' in record ? record.requestPayload : parsed) as Partial<DeadLetteredEvent> | null;
  const detail = event?.detail as Partial<DeadLetteredEvent['detail']> | undefined;
  if (
    typeof event?.source !== 'string' ||
    typeof event['detail-type'] !== 'string' ||
    typeof detail?.aggregateId !== 'string' ||
    detail.aggregateId === '' ||
    detail.aggregateId.length > 1024 ||
    typeof detail.version !== 'number' ||
    !Number.isInteger(detail.version) ||
    detail.version < 1 ||
    typeof detail.eventId !== 'string'
  ) {
    throw new Error('neither a Lambda failure record nor an EventBridge event of the outbox');
  }
  return event as DeadLetteredEvent;
};

/** Why a dead letter does not match what the outbox published, or `undefined` when it does. */
export const mismatchOf = (event: DeadLetteredEvent, stored: StoredOutboxEvent | undefined): string | undefined => {
  if (stored === undefined) return 'not in the outbox (pruned after its retention, or never published by it)';
  if (stored.eventId !== event.detail.eventId) return `the outbox has another event at this version (${stored.eventId})`;
  if (stored.source !== event.source || stored.detailType !== event['detail-type'] || !isDeepStrictEqual(stored.detail, event.detail)) {
    return 'its content differs from what the outbox published';
  }
  return undefined;
};

/**
 * `redrive`: each projector dead letter through the projector again, as the outbox published it.
 * A message is checked against the outbox's own copy of its event (through the operations
 * function) and projected only when they match, so a message someone else put on the queue can
 * never reach the read model. The projector invoked is the stack's (an output), never one a
 * message names. A message is deleted only once the projector took its event; one it refuses,
 * or one that does not match, goes back to the queue at once, visible to the next run and the alarm.
 */
export const redrive = async (target: OpsTarget, io: Io, json: boolean, discardUnverified = false): Promise<number> => {
  const queueUrl = target.output(`${OPS_OUTPUTS.projectorDeadLetters}${OPS_OUTPUTS.queueSuffix}`);
  const projector = target.output(OPS_OUTPUTS.projectorFunction);
  const operations = target.output(OPS_OUTPUTS.operationsFunction);
  const total = await target.queueDepth(queueUrl);
  const bar = progressBar(io, 'redrive');
  const answer: Mutable<RedriveAnswer> & { failures: { messageId: string; reason: string }[] } = { redriven: 0, discarded: 0, failed: 0, unverified: 0, unreadable: 0, failures: [] };
  const keep: Message[] = [];
  const seen = new Set<string>();
  let stopped: string | undefined;
  const refuse = async (message: Message, kind: 'failed' | 'unverified' | 'unreadable', reason: string): Promise<void> => {
    if (discardUnverified && kind !== 'failed') {
      // The operator looked and asked: what cannot be an outbox event (or no longer is) goes.
      await target.queues.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      answer.discarded += 1;
      answer.failures.push({ messageId: message.MessageId ?? '', reason: `discarded: ${reason}` });
      return;
    }
    answer[kind] += 1;
    answer.failures.push({ messageId: message.MessageId ?? '', reason });
    keep.push(message);
  };
  try {
    for (let empty = 0; empty < EMPTY_RECEIVES_TO_STOP && seen.size < total + EXTRA_MESSAGES; ) {
      const received = await target.queues.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: VISIBILITY_SECONDS, WaitTimeSeconds: 1 }),
      );
      const messages = (received.Messages ?? []).filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
      if (messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      const readable: { message: Message; event: DeadLetteredEvent }[] = [];
      for (const message of messages) {
        seen.add(message.MessageId ?? '');
        try {
          readable.push({ message, event: deadLetteredEvent(message.Body ?? '') });
        } catch (error: unknown) {
          await refuse(message, 'unreadable', `unreadable: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      let stored: StoredOutboxEvent[] = [];
      if (readable.length > 0) {
        // One key once: two dead letters of one event (a delivery's and a repair's) share it.
        const keys = [...new Map(readable.map(({ event }) => [`${event.detail.aggregateId}#${event.detail.version}`, event.detail])).values()];
        try {
          stored = (
            await target.invoke<{ events: StoredOutboxEvent[] }>(operations, {
              operation: 'stored-events',
              keys: keys.map(({ aggregateId, version }) => ({ aggregateId, version })),
            })
          ).events;
        } catch (error: unknown) {
          // Without the outbox's copy nothing can be checked: this batch goes back, the run stops.
          keep.push(...readable.map(({ message }) => message));
          stopped = `could not read the outbox's copies: ${error instanceof Error ? error.message : String(error)}`;
          break;
        }
      }
      for (const { message, event } of readable) {
        const own = stored.find((s) => s.aggregateId === event.detail.aggregateId && s.version === event.detail.version);
        const mismatch = mismatchOf(event, own);
        if (mismatch !== undefined || own === undefined) {
          await refuse(message, 'unverified', `order ${event.detail.aggregateId} v${event.detail.version}: ${mismatch ?? 'not in the outbox'}`);
          continue;
        }
        try {
          // The outbox's copy of source, type and detail; the envelope (id, time, account) as delivered.
          await target.invoke(projector, { ...event, source: own.source, 'detail-type': own.detailType, detail: own.detail });
          await target.queues.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
          answer.redriven += 1;
        } catch (error: unknown) {
          if (!(error instanceof FunctionFailedError)) throw error;
          await refuse(message, 'failed', error.message);
        }
        bar.update(seen.size, Math.max(total, seen.size));
      }
    }
  } finally {
    bar.stop();
    // What could not be redriven is visible again at once: the queue's depth and alarm say so.
    for (const message of keep) {
      await target.queues.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })).catch(() => undefined);
    }
  }
  if (json) io.stdout(`${JSON.stringify({ ...answer, ...(stopped === undefined ? {} : { stopped }) })}\n`);
  else {
    io.stdout(
      `Redrove ${answer.redriven} dead-lettered deliver${answer.redriven === 1 ? 'y' : 'ies'} through ${projector}` +
        `${answer.discarded > 0 ? `, discarded ${answer.discarded}` : ''}; left in the queue: ` +
        `${answer.failed} refused again, ${answer.unverified} not matching the outbox, ${answer.unreadable} unreadable.\n`,
    );
    if (answer.failures.length > 0) io.stdout(table(['message id', 'reason'], answer.failures.slice(0, 50).map((f) => [f.messageId, f.reason])));
  }
  if (stopped !== undefined) {
    io.stderr(`Stopped: ${stopped}\n`);
    return 1;
  }
  const left = answer.failed + answer.unverified + answer.unreadable;
  if (left > 0) {
    const hint = answer.unverified + answer.unreadable > 0 ? '; once checked, --discard-unverified deletes those not matching the outbox' : '';
    io.stderr(`${left} dead letter${left === 1 ? '' : 's'} left in the queue (see the table${hint}).\n`);
    return 1;
  }
  return 0;
};
