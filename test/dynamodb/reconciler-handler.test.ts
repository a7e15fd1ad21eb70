import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AuditReport, OrdersAudit, type ReadModelRepairer } from '../../lambdas/adapters/dynamodb-orders-audit';
import { withCorrelationId } from '../../lambdas/domain/events';
import { type OrderChange, placeOrder } from '../../lambdas/domain/order';
import type { OutboxItem } from '../../lambdas/outbox/item';
import { ParkedRetry } from '../../lambdas/outbox/parked-retry';
import { OutboxSweeper } from '../../lambdas/outbox/reconciler';
import { type Audit, type AuditRunOptions, type ReconcilerSettings, createReconcilerHandler } from '../../lambdas/outbox/reconciler-handler';
import { testRepository } from '../support/dynamodb';
import { captureMetrics } from '../support/metrics';
import { type RelayFixture, startRelayFixture } from '../support/relay';

/** The reconciler handler on DynamoDB Local: the sweep runs whatever the audit does. */
let fixture: RelayFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const settings: ReconcilerSettings = { graceSeconds: 0, maxItems: 1000, auditWindowHours: 24, auditMaxOrders: 1000, auditMaxRepairs: 100 };
const contextWith = (remainingMs: number) =>
  ({ functionName: 'reconciler', awsRequestId: 'r-1', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

const place = (): OrderChange => placeOrder({ customerId: 'c-h', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] });

const commit = async (f: RelayFixture, count: number): Promise<OrderChange[]> => {
  const repository = testRepository(f.doc, f.tables);
  const changes = Array.from({ length: count }, place);
  for (const change of changes) await repository.commit(change);
  return changes;
};

const recordingRepairer = () => {
  const repaired: OutboxItem[] = [];
  return { repaired, repair: async (item: OutboxItem) => void repaired.push(item) };
};

const auditOf = (f: RelayFixture, repairer: ReadModelRepairer = recordingRepairer(), now?: () => Date) =>
  new OrdersAudit(
    f.doc,
    { ordersTableName: f.tables.orders, outboxTableName: f.tables.outbox, readModelTableName: f.tables.readModel, pendingShards: 4, retentionSeconds: 7 * 86_400 },
    repairer,
    now,
  );

const handlerOf = <T extends object>(
  f: RelayFixture,
  audit?: Audit<T>,
  metrics = new Metrics({ namespace: 'test', serviceName: 'outbox' }),
  logger = new Logger({ logLevel: 'SILENT' }),
) =>
  createReconcilerHandler(
    {
      sweeper: new OutboxSweeper(f.doc, f.tables.outbox, f.dispatcher),
      parker: f.parker,
      retry: new ParkedRetry(f.publisher, f.parker),
      ...(audit === undefined ? {} : { audit }),
    },
    settings,
    logger,
    metrics,
  );

describe('the reconciler handler', () => {
  it('logs each item the sweep republished with its correlation id, and keeps the list out of the result', async () => {
    fixture = await startRelayFixture();
    const change = place();
    await testRepository(fixture.doc, fixture.tables).commit({ ...change, event: withCorrelationId(change.event, 'req-late') });
    const logger = new Logger({ logLevel: 'SILENT' });
    const infos = vi.spyOn(logger, 'info');
    const handler = handlerOf(fixture, undefined, undefined, logger);

    const result = await handler({}, contextWith(60_000));

    expect(infos.mock.calls.filter(([message]) => message === 'Outbox item republished').map(([, fields]) => fields)).toEqual([
      { aggregateId: change.order.id, version: 1, eventId: change.event.detail.eventId, correlationId: 'req-late' },
    ]);
    expect(result.sweep).toMatchObject({ republished: 1 });
    expect(result.sweep).not.toHaveProperty('republishedItems');
  });

  it('logs an item the sweep could not republish with its correlation id', async () => {
    fixture = await startRelayFixture({ bus: { entryFault: () => ({ code: 'InvalidArgument', message: 'refused' }) } });
    const change = place();
    await testRepository(fixture.doc, fixture.tables).commit({ ...change, event: withCorrelationId(change.event, 'req-sweep') });
    const logger = new Logger({ logLevel: 'SILENT' });
    const errors = vi.spyOn(logger, 'error');
    const handler = handlerOf(fixture, undefined, undefined, logger);

    await handler({}, contextWith(60_000));

    const line = errors.mock.calls.find(([message]) => message === 'Outbox item not republished');
    expect(line?.[1]).toMatchObject({ aggregateId: change.order.id, version: 1, errorCode: 'InvalidArgument', correlationId: 'req-sweep' });
  });

  it('still sweeps when the audit throws, and reports the audit failure as a metric', async () => {
    fixture = await startRelayFixture();
    await commit(fixture, 3);
    const metrics = new Metrics({ namespace: 'test', serviceName: 'outbox' });
    const emitted = captureMetrics(metrics);
    const failing: Audit<AuditReport> = { run: async () => Promise.reject(new Error('throttled')) };

    const result = await handlerOf(fixture, failing, metrics)({}, contextWith(60_000));

    expect(result.sweep).toMatchObject({ republished: 3 });
    expect(result.auditError).toBe('Error: throttled');
    expect(fixture.bus.accepted).toHaveLength(3);
    expect(emitted[0]).toMatchObject({ Republished: 3, AuditFailures: 1, ParkedItems: 0 });
  });

  it("runs the audit after the sweep, with a deadline inside the invocation's remaining time", async () => {
    fixture = await startRelayFixture();
    await commit(fixture, 2);
    const order: string[] = [];
    const slow: Audit<{ checked: number }> = {
      run: async (options: AuditRunOptions) => {
        order.push(`audit after ${fixture?.bus.accepted.length ?? 0} events`);
        expect(options.deadline).toBeLessThanOrEqual(Date.now() + 60_000);
        return { checked: 0 };
      },
    };

    const result = await handlerOf(fixture, slow)({}, contextWith(60_000));

    expect(order).toEqual(['audit after 2 events']);
    expect(result.audit).toEqual({ checked: 0 });
  });

  it('refuses a malformed manual run instead of guessing', async () => {
    fixture = await startRelayFixture();

    await expect(handlerOf(fixture)({ maxItems: 0 }, contextWith(60_000))).rejects.toThrow(/maxItems/);
  });

  it('retries parked items when asked, before the sweep, and counts what stays parked', async () => {
    fixture = await startRelayFixture();
    const [poison] = await commit(fixture, 1);
    fixture.bus.setFaults({ entryFault: () => ({ code: 'InvalidArgument', message: 'no' }) });
    const first = await handlerOf(fixture)({}, contextWith(60_000));
    fixture.bus.setFaults({ entryFault: () => undefined });

    const second = await handlerOf(fixture)({ retryParked: true, aggregateId: poison?.order.id }, contextWith(60_000));

    expect(first).toMatchObject({ sweep: { republished: 0, parked: 1 }, parked: { count: 1 } });
    expect(second).toMatchObject({ retried: { republished: 1, released: 1 }, parked: { count: 0, oldestParkedAgeMs: 0 } });
    expect(fixture.bus.accepted).toHaveLength(1);
  });
});

describe('the orders audit within its budget', () => {
  it('checks at most maxOrders, oldest first, and the next run resumes after the last one checked', async () => {
    fixture = await startRelayFixture();
    const changes = await commit(fixture, 5);
    await new OutboxSweeper(fixture.doc, fixture.tables.outbox, fixture.dispatcher).sweep({ graceSeconds: 0, maxItems: 10 });
    // No projector runs, so every order checked is behind and handed to the (recording) projector.
    const repairer = recordingRepairer();
    const audit = auditOf(fixture, repairer);
    const run = { windowHours: 24, graceSeconds: 0, deadline: Number.POSITIVE_INFINITY, maxOrders: 2, maxRepairs: 100 };

    const reports = [await audit.run(run), await audit.run(run), await audit.run(run), await audit.run(run)];

    expect(reports.map((r) => [r.auditedOrders, r.leftForNextRun])).toEqual([
      [2, true],
      [2, true],
      [1, false],
      [2, true],
    ]);
    // Oldest change first; orders changed in the same millisecond go by id (code-point order).
    const key = (o: { updatedAt: string; id: string }) => `${o.updatedAt}\u0000${o.id}`;
    const ids = changes.map((c) => c.order).sort((a, b) => (key(a) < key(b) ? -1 : 1)).map((o) => o.id);
    expect(repairer.repaired.map((item) => item.aggregateId)).toEqual([...ids, ...ids.slice(0, 2)]);
  });

  it('stops starting work at its deadline and says how many it left', async () => {
    fixture = await startRelayFixture();
    await commit(fixture, 4);

    const report = await auditOf(fixture).run({ windowHours: 24, graceSeconds: 0, deadline: Date.now() - 1, maxOrders: 100, maxRepairs: 100 });

    expect(report).toMatchObject({ changedOrders: 4, auditedOrders: 0, ordersLeft: 4 });
  });

  it('repairs at most maxRepairs read models a run, and backs off per order', async () => {
    fixture = await startRelayFixture();
    await commit(fixture, 3);
    await new OutboxSweeper(fixture.doc, fixture.tables.outbox, fixture.dispatcher).sweep({ graceSeconds: 0, maxItems: 10 });
    let clock = Date.now();
    const repairer = recordingRepairer();
    const audit = auditOf(fixture, repairer, () => new Date(clock));
    const run = { windowHours: 24, graceSeconds: 60, maxOrders: 100, maxRepairs: 2 };

    clock += 61_000;
    const first = await audit.run({ ...run, deadline: Number.POSITIVE_INFINITY });
    const soon = await audit.run({ ...run, deadline: Number.POSITIVE_INFINITY });
    clock += 61_000;
    const later = await audit.run({ ...run, deadline: Number.POSITIVE_INFINITY });

    expect([first, soon, later].map((r) => [r.readModelBehind, r.readModelRepaired, r.readModelRepairsDeferred])).toEqual([
      [3, 2, 1],
      [3, 1, 2],
      [3, 2, 1],
    ]);
    expect(repairer.repaired).toHaveLength(5);
  });
});

describe('the orders audit when one order fails', () => {
  it('counts the failed check, goes on with the other orders, and keeps its place', async () => {
    fixture = await startRelayFixture();
    const changes = await commit(fixture, 3);
    await new OutboxSweeper(fixture.doc, fixture.tables.outbox, fixture.dispatcher).sweep({ graceSeconds: 0, maxItems: 10 });
    const broken = changes[1]?.order.id;
    const repaired: string[] = [];
    const repairer = {
      repair: async (item: OutboxItem) => {
        if (item.aggregateId === broken) throw new Error('AccessDeniedException: not allowed to invoke');
        repaired.push(item.aggregateId);
      },
    };

    const report = await auditOf(fixture, repairer).run({ windowHours: 24, graceSeconds: 0, deadline: Number.POSITIVE_INFINITY, maxOrders: 100, maxRepairs: 100 });

    expect(report).toMatchObject({ auditedOrders: 3, ordersFailed: 1, readModelRepaired: 2, leftForNextRun: false, firstError: 'Error: AccessDeniedException: not allowed to invoke' });
    expect(repaired.sort()).toEqual([changes[0]?.order.id, changes[2]?.order.id].sort());
  });
});
