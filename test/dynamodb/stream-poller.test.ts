import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type StreamFailureMetadata, StreamPoller, type StreamPollerOptions } from '../../local/lambda/stream-poller';
import { createTestTables, documentClient, testDynamoClient } from '../support/dynamodb';

/** The local event source mapping against a real DynamoDB Local stream. */
const client = testDynamoClient();
const doc = documentClient(client);
const streams = new DynamoDBStreamsClient({ endpoint: inject('dynamodbEndpoint') });

afterAll(() => {
  streams.destroy();
  client.destroy();
});

/** A fresh stream with `count` INSERTs of one aggregate, versions 1..count. */
const streamWith = async (count: number): Promise<string> => {
  const tables = await createTestTables(client);
  for (let version = 1; version <= count; version++) {
    await doc.send(new PutCommand({ TableName: tables.outbox, Item: { aggregateId: 'a', version } }));
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tables.outbox }));
  return Table?.LatestStreamArn ?? '';
};

const versionOf = (record: DynamoDBRecord): number => Number(record.dynamodb?.Keys?.version?.N);

const poller = (streamArn: string, options: Partial<StreamPollerOptions> & Pick<StreamPollerOptions, 'handler'>) =>
  new StreamPoller({ client: streams, streamArn, pollIntervalMs: 20, ...options });

describe('StreamPoller', () => {
  it('delivers records in order, in batches of the mapping size', async () => {
    const streamArn = await streamWith(7);
    const batches: number[][] = [];

    await poller(streamArn, {
      batchSize: 3,
      handler: async (event) => {
        batches.push(event.Records.map(versionOf));
      },
    }).drain();

    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('resumes from the lowest reported sequence number and redelivers nothing before it', async () => {
    const streamArn = await streamWith(5);
    const batches: number[][] = [];
    let failOnce = true;

    await poller(streamArn, {
      reportBatchItemFailures: true,
      handler: async (event) => {
        batches.push(event.Records.map(versionOf));
        if (!failOnce) return { batchItemFailures: [] };
        failOnce = false;
        const [, , third, fourth] = event.Records;
        return {
          batchItemFailures: [
            { itemIdentifier: fourth?.dynamodb?.SequenceNumber ?? '' },
            { itemIdentifier: third?.dynamodb?.SequenceNumber ?? '' },
          ],
        };
      },
    }).drain();

    expect(batches).toEqual([
      [1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
  });

  it('ignores batchItemFailures unless the mapping reports them', async () => {
    const streamArn = await streamWith(2);
    let invocations = 0;

    await poller(streamArn, {
      handler: async (event) => {
        invocations += 1;
        return { batchItemFailures: [{ itemIdentifier: event.Records[0]?.dynamodb?.SequenceNumber ?? '' }] };
      },
    }).drain();

    expect(invocations).toBe(1);
  });

  it('sends only metadata to the failure destination once retries run out, then moves on', async () => {
    const streamArn = await streamWith(4);
    const failures: StreamFailureMetadata[] = [];
    const seen: number[] = [];
    const subject = poller(streamArn, {
      batchSize: 2,
      reportBatchItemFailures: true,
      maxRetryAttempts: 2,
      onFailure: (metadata) => {
        failures.push(metadata);
      },
      handler: async (event) => {
        seen.push(...event.Records.map(versionOf));
        const poison = event.Records.find((record) => versionOf(record) === 2);
        return { batchItemFailures: poison === undefined ? [] : [{ itemIdentifier: poison.dynamodb?.SequenceNumber ?? '' }] };
      },
    });

    await subject.drain();

    expect(seen).toEqual([1, 2, 2, 2, 3, 4]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      DDBStreamBatchInfo: { batchSize: 1, streamArn },
    });
    expect(JSON.stringify(failures[0])).not.toContain('NewImage');
    expect(subject.stats.sentToFailureDestination).toBe(1);
  });

  it('bisects a batch whose invocation throws until the poison record stands alone', async () => {
    const streamArn = await streamWith(8);
    const failures: StreamFailureMetadata[] = [];
    const delivered: number[] = [];

    await poller(streamArn, {
      bisectBatchOnFunctionError: true,
      maxRetryAttempts: 0,
      onFailure: (metadata) => {
        failures.push(metadata);
      },
      handler: async (event) => {
        if (event.Records.some((record) => versionOf(record) === 6)) throw new Error('poison');
        delivered.push(...event.Records.map(versionOf));
      },
    }).drain();

    expect(delivered).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(failures.map((failure) => [failure.DDBStreamBatchInfo.batchSize, failure.responseContext.functionError])).toEqual([
      [1, 'Error'],
    ]);
  });
});
