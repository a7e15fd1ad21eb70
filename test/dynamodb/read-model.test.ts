import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoReadModel } from '../../lambdas/adapters/dynamodb-read-model';
import { withCorrelationId } from '../../lambdas/domain/events';
import { type OrderChange, applyCommand, placeOrder } from '../../lambdas/domain/order';
import { OutboxReader } from '../../lambdas/outbox/reader';
import { OrderProjector } from '../../lambdas/read-model/projector';
import { createProjectorHandler } from '../../lambdas/read-model/projector-handler';
import { type TestTables, createTestTables, documentClient, testDynamoClient, testRepository } from '../support/dynamodb';
import { delivered } from '../support/eventbridge';
import { captureMetrics } from '../support/metrics';

const client = testDynamoClient();
const doc = documentClient(client);
let tables: TestTables;
let readModel: DynamoReadModel;
let projector: OrderProjector;

beforeAll(async () => {
  tables = await createTestTables(client);
  readModel = new DynamoReadModel(doc, tables.readModel);
  projector = new OrderProjector(readModel);
});

afterAll(() => {
  client.destroy();
});

/** An order's history: placed, confirmed, shipped (versions 1..3). */
const history = (): OrderChange[] => {
  const placed = placeOrder({ customerId: 'c-rm', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 10 }] });
  const confirmed = applyCommand(placed.order, { type: 'confirm' });
  const shipped = applyCommand(confirmed.order, { type: 'ship', trackingNumber: 'T' });
  return [placed, confirmed, shipped];
};


describe('the projector on DynamoDB Local', () => {
  it('ends at v3 with v3 state when events arrive v3, v2, v1', async () => {
    const [v1, v2, v3] = history() as [OrderChange, OrderChange, OrderChange];

    const reports = [await projector.project(delivered(v3)), await projector.project(delivered(v2)), await projector.project(delivered(v1))];

    expect(reports.map((report) => report.outcome)).toEqual(['applied', 'stale', 'stale']);
    expect(await readModel.get(v3.order.id)).toEqual(v3.order);
  });

  it('changes nothing on a duplicate', async () => {
    const [v1, v2] = history() as [OrderChange, OrderChange];
    await projector.project(delivered(v1));
    await projector.project(delivered(v2));

    const again = await projector.project(delivered(v2));

    expect(again.outcome).toBe('duplicate');
    expect(await readModel.get(v2.order.id)).toEqual(v2.order);
  });

  it('applies an event across a gap and reports how many versions it skipped', async () => {
    const [v1, , v3] = history() as [OrderChange, OrderChange, OrderChange];
    await projector.project(delivered(v1));

    const report = await projector.project(delivered(v3));

    expect(report).toMatchObject({ outcome: 'applied', gap: 1, version: 3 });
    expect(await readModel.get(v3.order.id)).toEqual(v3.order);
  });

  it("reports the envelope's correlation id, and projects an event without one all the same", async () => {
    const [v1, v2] = history() as [OrderChange, OrderChange, OrderChange];

    const correlated = await projector.project(delivered({ ...v1, event: withCorrelationId(v1.event, 'req-42') }));
    const uncorrelated = await projector.project(delivered(v2));

    expect(correlated).toMatchObject({ outcome: 'applied', correlationId: 'req-42' });
    expect(uncorrelated.outcome).toBe('applied');
    expect(uncorrelated).not.toHaveProperty('correlationId');
  });

  it('refuses an event whose state is not the aggregate at that version', async () => {
    const [v1] = history() as [OrderChange];
    const forged = delivered(v1);
    forged.detail.version = 2;

    await expect(projector.project(forged)).rejects.toThrow(/state does not belong/);
  });
});

describe('reading back missed events from the outbox', () => {
  it("returns an aggregate's events in version order, from the stored details", async () => {
    const repository = testRepository(doc, tables);
    const changes = history();
    for (const change of changes) await repository.commit(change);
    const id = changes[0]?.order.id ?? '';

    const events = await new OutboxReader(doc, tables.outbox).eventsOf<{ version: number; eventId: string }>(id, 2, 3);

    expect(events.map((event) => [event.detailType, event.detail.version])).toEqual([
      ['OrderConfirmed', 2],
      ['OrderShipped', 3],
    ]);
    expect(events.map((event) => event.detail.eventId)).toEqual(changes.slice(1).map((change) => change.event.detail.eventId));
  });
});

describe('the projector handler', () => {
  it('counts applied events, duplicates and gaps, and the projection lag', async () => {
    const metrics = new Metrics({ namespace: 'test', serviceName: 'read-model' });
    const emitted = captureMetrics(metrics);
    const logger = new Logger({ logLevel: 'SILENT' });
    const warnings = vi.spyOn(logger, 'warn');
    const handler = createProjectorHandler(projector, logger, metrics);
    const [v1, , v3] = history() as [OrderChange, OrderChange, OrderChange];
    const context = { functionName: 'projector', awsRequestId: 'r' } as never;

    await handler(delivered(v1), context);
    await handler(delivered(v3), context);
    await handler(delivered(v3), context);

    expect(emitted.map((m) => Object.keys(m).filter((k) => ['EventsApplied', 'DuplicatesSkipped', 'Gaps'].includes(k)).sort())).toEqual([
      ['EventsApplied'],
      ['EventsApplied', 'Gaps'],
      ['DuplicatesSkipped'],
    ]);
    expect(emitted.every((m) => typeof m.ProjectionLag === 'number')).toBe(true);
    expect(warnings).toHaveBeenCalledWith('Applied an event across a gap', { aggregateId: v3.order.id, version: 3, missing: 1 });
  });
});
