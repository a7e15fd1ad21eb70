import { describe, expect, it } from 'vitest';
import { ConcurrentUpdateError, IdempotencyKeyReusedError, VersionMismatchError } from '../../../lambdas/domain/errors';
import { type Order, type OrderChange, placeOrder } from '../../../lambdas/domain/order';
import { StaleVersionError, WriteConflictError } from '../../../lambdas/use-cases/errors';
import { OrderCommands } from '../../../lambdas/use-cases/order-commands';
import type { OrderRepository, StoredOutcome } from '../../../lambdas/use-cases/ports';

/**
 * The retry and replay policy, with a repository that reports conditions on demand: persistent
 * transaction conflicts cannot be produced at will on DynamoDB Local.
 */
const order: Order = placeOrder({ customerId: 'c', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }).order;

const repositoryThat = (commit: (change: OrderChange) => Promise<void>, outcome?: StoredOutcome) => {
  const calls = { commit: 0, get: 0 };
  const repository: OrderRepository = {
    get: async () => {
      calls.get += 1;
      return order;
    },
    findOutcome: async () => outcome,
    commit: async (change) => {
      calls.commit += 1;
      return commit(change);
    },
  };
  return { repository, calls };
};

const noDelay = { baseDelayMs: 0, random: () => 0 };

describe('OrderCommands', () => {
  it('gives up with CONCURRENT_UPDATE after the bounded number of conflicting attempts', async () => {
    const { repository, calls } = repositoryThat(async () => {
      throw new WriteConflictError(order.id);
    });
    const commands = new OrderCommands(repository, { maxAttempts: 4, ...noDelay });

    const error = await commands.apply(order.id, { type: 'confirm' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConcurrentUpdateError);
    expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE', attempts: 4 });
    expect(calls).toEqual({ commit: 4, get: 4 });
  });

  it('re-reads the order and retries after losing an optimistic-concurrency race', async () => {
    let failures = 1;
    const { repository, calls } = repositoryThat(async () => {
      if (failures-- > 0) throw new StaleVersionError(order.id, 1, 2);
    });
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.apply(order.id, { type: 'confirm' });

    expect(outcome).toMatchObject({ replayed: false, created: false, order: { version: 2 } });
    expect(calls).toEqual({ commit: 2, get: 2 });
  });

  it('answers a lost race under If-Match with VERSION_MISMATCH instead of retrying', async () => {
    const { repository, calls } = repositoryThat(async () => {
      throw new StaleVersionError(order.id, 1, 2);
    });
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.apply(order.id, { type: 'confirm' }, { expectedVersion: 1 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VersionMismatchError);
    expect(error).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    expect(calls.commit).toBe(1);
  });

  it('replays a stored outcome without deciding or committing anything', async () => {
    const stored: StoredOutcome = { fingerprint: 'f', created: true, order };
    const { repository, calls } = repositoryThat(async () => undefined, stored);
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.apply(order.id, { type: 'confirm' }, { idempotency: { key: 'k', fingerprint: 'f' } });

    expect(outcome).toEqual({ order, created: true, replayed: true });
    expect(calls).toEqual({ commit: 0, get: 0 });
  });

  it('refuses a stored key whose fingerprint differs', async () => {
    const stored: StoredOutcome = { fingerprint: 'f', created: true, order };
    const { repository } = repositoryThat(async () => undefined, stored);
    const commands = new OrderCommands(repository, noDelay);

    await expect(
      commands.place({ customerId: 'c', currency: 'EUR', items: [] }, { idempotency: { key: 'k', fingerprint: 'other' } }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('passes unknown failures through untouched', async () => {
    const boom = new Error('network down');
    const { repository, calls } = repositoryThat(async () => {
      throw boom;
    });
    const commands = new OrderCommands(repository, noDelay);

    await expect(commands.apply(order.id, { type: 'confirm' })).rejects.toBe(boom);
    expect(calls.commit).toBe(1);
  });
});
