import { ChangeMessageVisibilityCommand, DeleteMessageCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { OPS_OUTPUTS } from '../../lib/ops-outputs';
import { FunctionFailedError, type OpsTarget } from '../target';
import { type Io, progressBar, table } from '../output';

/** How long a received message stays hidden while this run works on it. */
const VISIBILITY_SECONDS = 300;
/** Empty receives in a row that end the run (SQS may answer empty while messages remain). */
const EMPTY_RECEIVES_TO_STOP = 3;

export interface RedriveAnswer {
  readonly redriven: number;
  readonly failed: number;
  readonly unreadable: number;
  readonly failures: readonly { readonly messageId: string; readonly reason: string }[];
}

/**
 * The event a dead-lettered message carries: a Lambda on-failure record holds it as
 * `requestPayload`; an EventBridge rule's dead letter is the event itself.
 */
export const deadLetteredEvent = (body: string): unknown => {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('the body is not a JSON object');
  const record = parsed as { requestContext?: unknown; requestPayload?: unknown; 'detail-type'?: unknown; detail?: unknown };
  if (record.requestContext !== undefined && 'requestPayload' in record) return record.requestPayload;
  if (typeof record['detail-type'] === 'string' && typeof record.detail === 'object') return parsed;
  throw new Error('neither a Lambda failure record nor an EventBridge event');
};

/**
 * `redrive`: each projector dead letter through the projector again (a synchronous invoke of the
 * stack's projector, never a function a message names), deleted once the projector took it; one
 * that fails again goes back to the queue at once, visible for the next run and the alarm.
 */
export const redrive = async (target: OpsTarget, io: Io, json: boolean): Promise<number> => {
  const queueUrl = target.output(`${OPS_OUTPUTS.projectorDeadLetters}${OPS_OUTPUTS.queueSuffix}`);
  const projector = target.output(OPS_OUTPUTS.projectorFunction);
  const total = await target.queueDepth(queueUrl);
  const bar = progressBar(io, 'redrive');
  const answer = { redriven: 0, failed: 0, unreadable: 0, failures: [] as { messageId: string; reason: string }[] };
  const keep: Message[] = [];
  const seen = new Set<string>();
  try {
    for (let empty = 0; empty < EMPTY_RECEIVES_TO_STOP; ) {
      const received = await target.queues.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: VISIBILITY_SECONDS, WaitTimeSeconds: 1 }),
      );
      const messages = (received.Messages ?? []).filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
      if (messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      for (const message of messages) {
        const messageId = message.MessageId ?? '';
        seen.add(messageId);
        let event: unknown;
        try {
          event = deadLetteredEvent(message.Body ?? '');
        } catch (error: unknown) {
          answer.unreadable += 1;
          answer.failures.push({ messageId, reason: `unreadable: ${error instanceof Error ? error.message : String(error)}` });
          keep.push(message);
          continue;
        }
        try {
          await target.invoke(projector, event);
          await target.queues.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
          answer.redriven += 1;
        } catch (error: unknown) {
          if (!(error instanceof FunctionFailedError)) throw error;
          answer.failed += 1;
          answer.failures.push({ messageId, reason: error.message });
          keep.push(message);
        }
        bar.update(answer.redriven + answer.failed + answer.unreadable, Math.max(total, seen.size));
      }
    }
  } finally {
    bar.stop();
    // What could not be redriven is visible again at once: the queue's depth and alarm say so.
    for (const message of keep) {
      await target.queues.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })).catch(() => undefined);
    }
  }
  if (json) io.stdout(`${JSON.stringify(answer)}\n`);
  else {
    io.stdout(`Redrove ${answer.redriven} dead-lettered deliver${answer.redriven === 1 ? 'y' : 'ies'} through ${projector}; ${answer.failed} failed again, ${answer.unreadable} unreadable (left in the queue).\n`);
    if (answer.failures.length > 0) io.stdout(table(['message id', 'reason'], answer.failures.slice(0, 50).map((f) => [f.messageId, f.reason])));
  }
  if (answer.failed + answer.unreadable > 0) {
    io.stderr(`${answer.failed + answer.unreadable} dead letter${answer.failed + answer.unreadable === 1 ? '' : 's'} left in the queue (see the table).\n`);
    return 1;
  }
  return 0;
};
