import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoOrderRepository } from '../../../lambdas/adapters/dynamodb-order-repository';
import { applyCommand, placeOrder } from '../../../lambdas/domain/order';
import { OutboxCollisionError, WriteConflictError } from '../../../lambdas/use-cases/errors';

/**
 * Cancellation reasons DynamoDB Local does not produce on demand (a transaction conflict, an
 * outbox collision), fed through a stub client.
 */
const cancelledWith = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const repositoryFailingWith = (error: Error) => {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      throw error;
    },
  } as unknown as DynamoDBDocumentClient;
  const repository = new DynamoOrderRepository(client, {
    ordersTableName: 'orders',
    outboxTableName: 'outbox',
    idempotencyTableName: 'idem',
    idempotencyTtlSeconds: 86_400,
    pendingShards: 4,
  });
  return { repository, sent };
};

const change = applyCommand(
  placeOrder({ customerId: 'c', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }).order,
  { type: 'confirm' },
);

describe('DynamoOrderRepository error translation', () => {
  it('turns a TransactionConflict cancellation into a retryable WriteConflictError', async () => {
    const { repository } = repositoryFailingWith(cancelledWith('TransactionConflict', 'None'));

    await expect(repository.commit(change)).rejects.toBeInstanceOf(WriteConflictError);
  });

  it('asks for a retry when a taken key comes back without its record', async () => {
    const { repository } = repositoryFailingWith(cancelledWith('None', 'None', 'ConditionalCheckFailed'));

    await expect(repository.commit(change, { owner: 'c', key: 'k', fingerprint: 'f', created: false })).rejects.toBeInstanceOf(
      WriteConflictError,
    );
  });

  it('turns a failed outbox condition into an OutboxCollisionError', async () => {
    const { repository } = repositoryFailingWith(cancelledWith('None', 'ConditionalCheckFailed'));

    await expect(repository.commit(change)).rejects.toBeInstanceOf(OutboxCollisionError);
  });

  it('passes other failures through untouched', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    const { repository } = repositoryFailingWith(throttled);

    await expect(repository.commit(change)).rejects.toBe(throttled);
  });
});
