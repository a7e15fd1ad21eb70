import { BatchExecuteStatementCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { MarkStatementError, OutboxMarker } from '../../../lambdas/outbox/marker';

/**
 * Statement-level throttling inside a successful `BatchExecuteStatement`: DynamoDB Local never
 * throttles, so this error path runs on a stand-in client that answers as DynamoDB documents.
 */
type Answer = { Error?: { Code: string; Message: string } };
const clientAnswering = (rounds: ((statementCount: number) => Answer[])[]) => {
  const sent: number[] = [];
  const client = {
    send: async (command: unknown) => {
      if (!(command instanceof BatchExecuteStatementCommand)) throw new Error('unexpected command');
      const count = command.input.Statements?.length ?? 0;
      sent.push(count);
      const round = rounds[sent.length - 1] ?? ((n: number) => Array.from({ length: n }, () => ({})));
      return { Responses: round(count) };
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
};
const keys = [1, 2, 3].map((i) => ({ aggregateId: `a-${i}`, version: 1 }));

describe('OutboxMarker on throttling', () => {
  it('sends again only the statements that failed with a retryable code, until they pass', async () => {
    const { client, sent } = clientAnswering([
      () => [{}, { Error: { Code: 'ThrottlingError', Message: 'slow down' } }, { Error: { Code: 'ConditionalCheckFailed', Message: '' } }],
      () => [{ Error: { Code: 'TransactionConflict', Message: 'conflict' } }],
    ]);

    const outcome = await new OutboxMarker(client, { tableName: 'outbox', baseDelayMs: 1 }).markPublished(keys, new Date());

    expect(sent).toEqual([3, 1, 1]);
    expect(outcome).toEqual({ marked: 2, alreadyMarked: 1, failed: 0 });
  });

  it('gives up after maxAttempts and reports the code; a permanent code is never retried', async () => {
    const throttled = (n: number): Answer[] => Array.from({ length: n }, () => ({ Error: { Code: 'ProvisionedThroughputExceeded', Message: 'x' } }));
    const { client, sent } = clientAnswering([
      () => [{ Error: { Code: 'ValidationError', Message: 'bad' } }, ...throttled(2)],
      throttled,
      throttled,
    ]);
    const errors: unknown[] = [];

    const outcome = await new OutboxMarker(client, { tableName: 'outbox', baseDelayMs: 1, maxAttempts: 3 }).markPublished(keys, new Date(), (_key, error) =>
      errors.push(error),
    );

    expect(sent).toEqual([3, 2, 2]);
    expect(outcome).toEqual({ marked: 0, alreadyMarked: 0, failed: 3 });
    expect(errors.map((error) => (error as MarkStatementError).code).sort()).toEqual(['ProvisionedThroughputExceeded', 'ProvisionedThroughputExceeded', 'ValidationError']);
  });
});
