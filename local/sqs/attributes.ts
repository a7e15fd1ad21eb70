import { SqsError } from './errors';
import type { LocalQueue } from './queue';

/** The queue attributes `GetQueueAttributes` answers (`All` is every one of them). */
const QUEUE_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'QueueArn',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'SqsManagedSseEnabled',
] as const;

/** A queue's attributes by name, as strings (SQS's form); an unknown name is `InvalidAttributeName`. */
export const queueAttributes = (queue: LocalQueue, names: readonly string[]): Record<string, string> => {
  for (const name of names) {
    if (name !== 'All' && !(QUEUE_ATTRIBUTES as readonly string[]).includes(name)) {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  const wanted = names.includes('All') ? QUEUE_ATTRIBUTES : QUEUE_ATTRIBUTES.filter((name) => names.includes(name));
  if (wanted.length === 0) return {};
  const { model } = queue;
  const counts = queue.counts();
  const created = String(Math.floor(queue.createdAt / 1000));
  const values: Record<(typeof QUEUE_ATTRIBUTES)[number], string> = {
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: created,
    LastModifiedTimestamp: created,
    DelaySeconds: String(model.delaySeconds),
    MaximumMessageSize: String(model.maximumMessageSizeBytes),
    MessageRetentionPeriod: String(model.messageRetentionSeconds),
    QueueArn: model.arn,
    ReceiveMessageWaitTimeSeconds: String(model.receiveWaitTimeSeconds),
    VisibilityTimeout: String(model.visibilityTimeoutSeconds),
    SqsManagedSseEnabled: 'false',
  };
  return Object.fromEntries(wanted.map((name) => [name, values[name]]));
};
