import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DynamoOrderRepository, idempotencyRecordKey } from '../../lambdas/adapters/dynamodb-order-repository';
import { OrderNotFoundError } from '../../lambdas/domain/errors';
import { type OrderChange, applyCommand, placeOrder } from '../../lambdas/domain/order';
import { IdempotencyKeyTakenError, StaleVersionError } from '../../lambdas/use-cases/errors';
import {
  type TestTables,
  countAll,
  createTestTables,
  documentClient,
  outboxOf,
  testDynamoClient,
  testRepository,
} from '../support/dynamodb';

const client = testDynamoClient();
const doc = documentClient(client);
let tables: TestTables;
let repository: DynamoOrderRepository;
// Relative to the real clock: DynamoDB Local's TTL deletes an idempotency record soon after it expires.
const now = new Date();

beforeAll(async () => {
  tables = await createTestTables(client);
  repository = testRepository(doc, tables, () => now);
});

afterAll(() => {
  client.destroy();
});

const newOrder = (): OrderChange =>
  placeOrder({ customerId: 'c-1', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 100 }] }, { now: () => now });

describe('DynamoOrderRepository.commit', () => {
  it('writes the order, its pending outbox event and the idempotency record together', async () => {
    const change = newOrder();

    await repository.commit(change, { owner: 'c-1', key: 'k-commit', fingerprint: 'f', created: true });

    expect(await repository.get(change.order.id)).toEqual(change.order);
    const [event] = await outboxOf(doc, tables.outbox, change.order.id);
    expect(event).toMatchObject({
      eventId: change.event.detail.eventId,
      status: 'PENDING',
      pendingSince: now.toISOString(),
      occurredAt: change.order.createdAt,
    });
    expect(['0', '1', '2', '3']).toContain(event?.pendingShard);
    expect(await repository.findOutcome({ owner: 'c-1', key: 'k-commit' })).toEqual({ fingerprint: 'f', created: true, order: change.order });
  });

  it('reports a stale expected version with the current one, and writes nothing', async () => {
    const placed = newOrder();
    await repository.commit(placed);
    const confirmed = applyCommand(placed.order, { type: 'confirm' });
    await repository.commit(confirmed);
    const before = await countAll(doc, tables);

    const stale = applyCommand(placed.order, { type: 'cancel' });
    const error = await repository.commit(stale, { owner: 'c-1', key: 'k-stale', fingerprint: 'f', created: false }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StaleVersionError);
    expect(error).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    expect(await countAll(doc, tables)).toEqual(before);
    expect(await repository.get(placed.order.id)).toEqual(confirmed.order);
  });

  it('reports a command on a missing order as not found, and writes nothing', async () => {
    const ghost = applyCommand(newOrder().order, { type: 'confirm' });
    const before = await countAll(doc, tables);

    const error = await repository.commit(ghost).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OrderNotFoundError);
    expect(await countAll(doc, tables)).toEqual(before);
  });

  it('reports a taken idempotency key with its stored outcome, and writes nothing', async () => {
    const first = newOrder();
    await repository.commit(first, { owner: 'c-1', key: 'k-taken', fingerprint: 'f1', created: true });
    const before = await countAll(doc, tables);

    const second = newOrder();
    const error = await repository.commit(second, { owner: 'c-1', key: 'k-taken', fingerprint: 'f2', created: true }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyKeyTakenError);
    expect((error as IdempotencyKeyTakenError).outcome).toEqual({ fingerprint: 'f1', created: true, order: first.order });
    expect(await countAll(doc, tables)).toEqual(before);
    expect(await repository.get(second.order.id)).toBeUndefined();
  });

  it('ignores an idempotency record past its expiry and lets the key be used again', async () => {
    const expired = {
      idempotencyKey: idempotencyRecordKey({ owner: 'c-1', key: 'k-expired' }),
      fingerprint: 'old',
      created: true,
      order: JSON.stringify(newOrder().order),
      createdAt: '2026-11-20T00:00:00.000Z',
      expiresAt: Math.floor(now.getTime() / 1000) - 1,
    };
    await doc.send(new PutCommand({ TableName: tables.idempotency, Item: expired }));

    expect(await repository.findOutcome({ owner: 'c-1', key: 'k-expired' })).toBeUndefined();
    const change = newOrder();
    await repository.commit(change, { owner: 'c-1', key: 'k-expired', fingerprint: 'new', created: true });

    expect(await repository.findOutcome({ owner: 'c-1', key: 'k-expired' })).toMatchObject({ fingerprint: 'new' });
  });

  it('never overwrites an event already in the outbox', async () => {
    const placed = newOrder();
    await repository.commit(placed);
    const before = await countAll(doc, tables);

    // The same version again (as a buggy or replayed writer would): the order condition fails first.
    const error = await repository.commit({ ...placed, expectedVersion: 0 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StaleVersionError);
    expect(await countAll(doc, tables)).toEqual(before);
  });
});

describe('DynamoOrderRepository.commit and the trace header', () => {
  const header = (parent: string) => `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=${parent};Sampled=1;Lineage=a87bd80c:1`;

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("stores each invocation's _X_AMZN_TRACE_ID on the outbox item, read at the commit, not at start", async () => {
    const first = newOrder();
    const second = newOrder();

    vi.stubEnv('_X_AMZN_TRACE_ID', header('53995c3f42cd8ad8'));
    await repository.commit(first);
    vi.stubEnv('_X_AMZN_TRACE_ID', header('0123456789abcdef'));
    await repository.commit(second);

    expect((await outboxOf(doc, tables.outbox, first.order.id))[0]?.traceHeader).toBe(header('53995c3f42cd8ad8'));
    expect((await outboxOf(doc, tables.outbox, second.order.id))[0]?.traceHeader).toBe(header('0123456789abcdef'));
  });

  it('writes no trace header when the invocation has none', async () => {
    const change = newOrder();

    vi.stubEnv('_X_AMZN_TRACE_ID', undefined);
    await repository.commit(change);

    expect((await outboxOf(doc, tables.outbox, change.order.id))[0]).not.toHaveProperty('traceHeader');
  });

  it('drops a malformed trace header and still commits', async () => {
    const change = newOrder();

    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=not-a-trace;Parent=zz;Sampled=yes');
    await repository.commit(change);

    const [event] = await outboxOf(doc, tables.outbox, change.order.id);
    expect(event).toMatchObject({ status: 'PENDING', eventId: change.event.detail.eventId });
    expect(event).not.toHaveProperty('traceHeader');
  });
});
