import { describe, expect, it } from 'vitest';
import type { QueueModel } from '../../../local/model';
import { sqsOperations } from '../../../local/sqs/api';
import { SqsError } from '../../../local/sqs/errors';
import { LocalQueue } from '../../../local/sqs/queue';

const model: QueueModel = {
  logicalId: 'Jobs',
  name: 'Jobs',
  url: 'http://127.0.0.1:3000/000000000000/Jobs',
  arn: 'arn:aws:sqs:us-east-1:000000000000:Jobs',
  visibilityTimeoutSeconds: 30,
  messageRetentionSeconds: 345_600,
  delaySeconds: 0,
  receiveWaitTimeSeconds: 0,
  maximumMessageSizeBytes: 1_048_576,
};

const setup = () => {
  const queue = new LocalQueue(model);
  const call = sqsOperations({ queueNamed: (name) => (name === 'Jobs' ? queue : undefined), queues: [queue] });
  const codeOf = async (operation: string, input: Record<string, unknown>): Promise<string | undefined> =>
    call(operation, input).then(
      () => undefined,
      (error: unknown) => (error instanceof SqsError ? error.code : String(error)),
    );
  return { queue, call, codeOf };
};

describe('the local SQS API refuses bad input with SQS error codes, and changes nothing', () => {
  it('refuses more than ten batch entries, and repeated entry ids', async () => {
    const { queue, codeOf } = setup();
    const entries = (ids: string[]) => ids.map((id) => ({ Id: id, MessageBody: id }));

    expect(await codeOf('SendMessageBatch', { QueueUrl: model.url, Entries: entries([...'abcdefghijk']) })).toBe('TooManyEntriesInBatchRequest');
    expect(await codeOf('SendMessageBatch', { QueueUrl: model.url, Entries: entries(['a', 'a']) })).toBe('BatchEntryIdsNotDistinct');
    expect(await codeOf('SendMessageBatch', { QueueUrl: model.url, Entries: [] })).toBe('EmptyBatchRequest');
    expect(queue.counts().visible).toBe(0);
  });

  it('refuses out-of-range receive parameters and unknown queue attributes', async () => {
    const { codeOf } = setup();

    expect(await codeOf('ReceiveMessage', { QueueUrl: model.url, MaxNumberOfMessages: 11 })).toBe('InvalidParameterValue');
    expect(await codeOf('ReceiveMessage', { QueueUrl: model.url, WaitTimeSeconds: 21 })).toBe('InvalidParameterValue');
    expect(await codeOf('GetQueueAttributes', { QueueUrl: model.url, AttributeNames: ['Colour'] })).toBe('InvalidAttributeName');
  });

  it('refuses a missing parameter, a message attribute without a value, a queue of another account, an unknown operation', async () => {
    const { queue, codeOf } = setup();

    expect(await codeOf('SendMessage', { QueueUrl: model.url })).toBe('MissingParameter');
    expect(await codeOf('SendMessage', { QueueUrl: model.url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'String' } } })).toBe('InvalidParameterValue');
    expect(await codeOf('SendMessage', { QueueUrl: 'http://127.0.0.1:3000/123456789012/Jobs', MessageBody: 'x' })).toBe('QueueDoesNotExist');
    expect(await codeOf('CreateQueue', { QueueName: 'More' })).toBe('UnknownOperationException');
    expect(queue.counts().visible).toBe(0);
  });

  it('finds a queue by its URL whatever the host, as the path names it', async () => {
    const { queue, call } = setup();

    await call('SendMessage', { QueueUrl: 'http://localhost:9999/000000000000/Jobs', MessageBody: 'x' });

    expect(queue.counts().visible).toBe(1);
  });

  it('answers the message attributes a receive asks for by name or prefix, with their digest', async () => {
    const { call } = setup();
    await call('SendMessage', {
      QueueUrl: model.url,
      MessageBody: 'x',
      MessageAttributes: { 'trace.id': { DataType: 'String', StringValue: 't' }, other: { DataType: 'Number', StringValue: '1' } },
    });

    const answer = (await call('ReceiveMessage', { QueueUrl: model.url, MessageAttributeNames: ['trace.*'] })) as { Messages: { MessageAttributes?: object; MD5OfMessageAttributes?: string }[] };

    expect(answer.Messages[0]?.MessageAttributes).toEqual({ 'trace.id': { DataType: 'String', StringValue: 't' } });
    expect(answer.Messages[0]?.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });
});
