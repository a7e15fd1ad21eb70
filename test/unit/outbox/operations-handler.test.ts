import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { OutboxOperations } from '../../../lambdas/outbox/operations';
import { createOperationsHandler } from '../../../lambdas/outbox/operations-handler';

/** The operations function's request validation and dispatch (the operations themselves run on DynamoDB Local: test/dynamodb/outbox-operations.test.ts). */
const context = { functionName: 'operations', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 300_000 } as unknown as Context;

const recording = () => {
  const calls: [string, unknown][] = [];
  const report = { found: 0, replayed: 0, skippedPending: 0, skippedParked: 0, failed: [], replayedEvents: [], retentionSeconds: 604_800 };
  const operations = {
    status: async () => (calls.push(['status', undefined]), { pending: 0 }),
    parked: async (limit: number, cursor?: string) => (calls.push(['parked', { limit, cursor }]), { items: [] }),
    retryParked: async (options: unknown) => (calls.push(['retryParked', options]), { aggregates: 0, republished: 0, stillParked: 0, released: 0, failed: [] }),
    replayAggregate: async (id: string) => (calls.push(['replayAggregate', id]), report),
    replayWindow: async (window: unknown) => (calls.push(['replayWindow', window]), report),
  } as unknown as OutboxOperations;
  const handler = createOperationsHandler(operations, new Logger({ logLevel: 'SILENT' }), new Metrics({ namespace: 'test', serviceName: 'outbox' }));
  return { calls, handler };
};

describe('the operations function', () => {
  it('runs each operation with its parameters and defaults', async () => {
    const { calls, handler } = recording();
    await handler({ operation: 'status' }, context);
    await handler({ operation: 'parked' }, context);
    await handler({ operation: 'parked', limit: 5, cursor: 'abc' }, context);
    await handler({ operation: 'retry-parked', aggregateId: 'o-1' }, context);
    await handler({ operation: 'replay', aggregateId: 'o-1' }, context);
    await handler({ operation: 'replay', since: '2026-11-27T09:00:00.000Z', until: '2026-11-27T10:00:00Z', cursor: 'c', maxSeconds: 30 }, context);

    expect(calls.map(([name]) => name)).toEqual(['status', 'parked', 'parked', 'retryParked', 'replayAggregate', 'replayWindow']);
    expect(calls[1]?.[1]).toEqual({ limit: 100, cursor: undefined });
    expect(calls[2]?.[1]).toEqual({ limit: 5, cursor: 'abc' });
    expect(calls[3]?.[1]).toMatchObject({ aggregateId: 'o-1', maxAggregates: 1000, deadline: expect.any(Number) as unknown });
    expect(calls[4]?.[1]).toBe('o-1');
    const window = calls[5]?.[1] as { since: Date; until: Date; cursor: string; deadline: number };
    expect([window.since.toISOString(), window.until.toISOString(), window.cursor]).toEqual(['2026-11-27T09:00:00.000Z', '2026-11-27T10:00:00.000Z', 'c']);
    expect(window.deadline - Date.now()).toBeLessThanOrEqual(30_000);
  });

  it.each([
    ['no operation', {}, /operation/],
    ['an unknown operation', { operation: 'drop-table' }, /operation/],
    ['an unknown field', { operation: 'status', force: true }, /force|Unrecognized/],
    ['a limit above 1000', { operation: 'parked', limit: 5000 }, /limit/],
    ['a replay of nothing', { operation: 'replay' }, /a replay needs aggregateId, or since and until/],
    ['a window without until', { operation: 'replay', since: '2026-11-27T09:00:00Z' }, /a replay needs aggregateId, or since and until/],
    ['a window backwards', { operation: 'replay', since: '2026-11-27T10:00:00Z', until: '2026-11-27T09:00:00Z' }, /since must not be after until/],
    ['an order and a window', { operation: 'replay', aggregateId: 'o-1', since: '2026-11-27T09:00:00Z', until: '2026-11-27T10:00:00Z' }, /not with aggregateId/],
    ['a time without its zone', { operation: 'replay', since: '2026-11-27T09:00:00', until: '2026-11-27T10:00:00Z' }, /since/],
    ['an empty order id', { operation: 'retry-parked', aggregateId: '' }, /aggregateId/],
  ])('refuses %s with the reason, and runs nothing', async (_, event, reason) => {
    const { calls, handler } = recording();
    await expect(handler(event, context)).rejects.toThrow(/^The operation request is not valid: /);
    await expect(handler(event, context)).rejects.toThrow(reason);
    expect(calls).toEqual([]);
  });
});
