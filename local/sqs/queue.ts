/**
 * One standard SQS queue as https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/
 * describes it: messages with ids and receipt handles, a visibility timeout per receive,
 * `ApproximateReceiveCount`, delays, retention, long polling; see `LocalQueue`.
 */
import { randomUUID } from 'node:crypto';
import type { QueueModel } from '../model';
import { SqsError } from './errors';
import { md5Hex, md5OfMessageAttributes } from './md5';

/** A message attribute as SQS keeps it (`BinaryValue` base64, as the JSON protocol carries it). */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export type MessageAttributes = Readonly<Record<string, MessageAttribute>>;

/** A message in the queue, as kept (and persisted). */
export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: MessageAttributes;
  readonly sentAt: number;
  /** When it can next be received (sent + delay, or the end of its visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The handle of its latest receive; only it changes the message's visibility. */
  receiptHandle?: string;
}

/** A message as one `ReceiveMessage` hands it out. */
export interface ReceivedMessage {
  readonly message: StoredMessage;
  readonly receiptHandle: string;
}

export interface ReceiveOptions {
  readonly maxNumberOfMessages: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly waitTimeSeconds?: number;
}

const handleOf = (messageId: string): string => Buffer.from(`${messageId} ${randomUUID()}`).toString('base64');

const messageIdOf = (receiptHandle: string): string => {
  const [messageId, nonce] = Buffer.from(receiptHandle, 'base64').toString('utf8').split(' ');
  if (messageId === undefined || nonce === undefined || !/^[0-9a-f-]{36}$/.test(messageId)) {
    throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
  }
  return messageId;
};

export interface LocalQueueHooks {
  /** After every change (the stack writes the queue to its data folder there). @default - none */
  readonly onChange?: (queue: LocalQueue) => void;
  /** After a message is sent, with its body. @default - none */
  readonly onSent?: (body: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The messages of one queue and what SQS does with them. */
export class LocalQueue {
  public readonly createdAt: number;
  private readonly messages = new Map<string, StoredMessage>();
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private readonly now: () => number;

  public constructor(
    public readonly model: QueueModel,
    private readonly hooks: LocalQueueHooks = {},
    restored?: { readonly createdAt: number; readonly messages: readonly StoredMessage[] },
  ) {
    this.now = hooks.now ?? Date.now;
    this.createdAt = restored?.createdAt ?? this.now();
    for (const message of restored?.messages ?? []) this.messages.set(message.messageId, { ...message });
  }

  /** Every message still kept, in send order (for persistence). */
  public snapshot(): StoredMessage[] {
    this.expire();
    return [...this.messages.values()];
  }

  public send(body: string, attributes: MessageAttributes = {}, delaySeconds = this.model.delaySeconds): { messageId: string; md5OfBody: string; md5OfMessageAttributes?: string } {
    const size = Buffer.byteLength(body) + Object.entries(attributes).reduce((sum, [name, a]) => sum + Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue ?? a.BinaryValue ?? ''), 0);
    if (size > this.model.maximumMessageSizeBytes) {
      throw new SqsError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${this.model.maximumMessageSizeBytes} bytes.`);
    }
    // SQS accepts #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
    if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(body)) {
      throw new SqsError('InvalidMessageContents', 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF');
    }
    if (delaySeconds < 0 || delaySeconds > 900) {
      throw new SqsError('InvalidParameterValue', `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`);
    }
    const sentAt = this.now();
    const message: StoredMessage = { messageId: randomUUID(), body, attributes, sentAt, visibleAt: sentAt + delaySeconds * 1000, receiveCount: 0 };
    this.messages.set(message.messageId, message);
    this.changed();
    this.hooks.onSent?.(body);
    for (const wake of this.waiters) wake();
    const md5OfAttributes = md5OfMessageAttributes(attributes);
    return { messageId: message.messageId, md5OfBody: md5Hex(body), ...(md5OfAttributes === undefined ? {} : { md5OfMessageAttributes: md5OfAttributes }) };
  }

  /** Visible messages, oldest first, each made invisible for the visibility timeout; waits up to `waitTimeSeconds` for one. */
  public async receive(options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const waitMs = (options.waitTimeSeconds ?? this.model.receiveWaitTimeSeconds) * 1000;
    const deadline = this.now() + waitMs;
    for (;;) {
      const received = this.receiveNow(options);
      const left = deadline - this.now();
      if (received.length > 0 || left <= 0 || this.closed) return received;
      const nextVisible = Math.min(...[...this.messages.values()].map((m) => m.visibleAt).filter((at) => at > this.now()));
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, Math.min(left, nextVisible - this.now())));
        this.waiters.add(wake);
      });
    }
  }

  public delete(receiptHandle: string): void {
    const messageId = messageIdOf(receiptHandle);
    // Deleting a message that is already gone succeeds, as on SQS.
    if (this.messages.delete(messageId)) this.changed();
  }

  public changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): void {
    checkVisibilityTimeout(visibilityTimeoutSeconds);
    const message = this.messages.get(messageIdOf(receiptHandle));
    if (message === undefined || message.receiptHandle !== receiptHandle) {
      throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    }
    if (message.visibleAt <= this.now()) {
      throw new SqsError('MessageNotInflight', `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    }
    message.visibleAt = this.now() + visibilityTimeoutSeconds * 1000;
    this.changed();
    if (visibilityTimeoutSeconds === 0) for (const wake of this.waiters) wake();
  }

  public purge(): void {
    this.messages.clear();
    this.changed();
  }

  public counts(): { visible: number; notVisible: number; delayed: number } {
    this.expire();
    const now = this.now();
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receiveCount > 0) notVisible += 1;
      else delayed += 1;
    }
    return { visible, notVisible, delayed };
  }

  /** Ends every long poll now (with what it has: nothing). */
  public close(): void {
    this.closed = true;
    for (const wake of this.waiters) wake();
  }

  private receiveNow(options: ReceiveOptions): ReceivedMessage[] {
    this.expire();
    const now = this.now();
    const timeout = options.visibilityTimeoutSeconds ?? this.model.visibilityTimeoutSeconds;
    checkVisibilityTimeout(timeout);
    const received: ReceivedMessage[] = [];
    for (const message of this.messages.values()) {
      if (received.length >= options.maxNumberOfMessages) break;
      if (message.visibleAt > now) continue;
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + timeout * 1000;
      message.receiptHandle = handleOf(message.messageId);
      received.push({ message, receiptHandle: message.receiptHandle });
    }
    if (received.length > 0) this.changed();
    return received;
  }

  private expire(): void {
    const oldest = this.now() - this.model.messageRetentionSeconds * 1000;
    let expired = false;
    for (const message of this.messages.values()) {
      if (message.sentAt >= oldest) break;
      this.messages.delete(message.messageId);
      expired = true;
    }
    if (expired) this.changed();
  }

  private changed(): void {
    this.hooks.onChange?.(this);
  }
}

const checkVisibilityTimeout = (seconds: number): void => {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) {
    throw new SqsError('InvalidParameterValue', `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
  }
};
