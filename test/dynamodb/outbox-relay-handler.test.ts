import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { placeOrder } from '../../lambdas/domain/order';
import { createOutboxRelayHandler } from '../../lambdas/outbox/relay-handler';
import { testRepository } from '../support/dynamodb';
import { outboxItem } from '../support/eventbridge';
import { type RelayFixture, startRelayFixture } from '../support/relay';
import { captureMetrics } from '../support/metrics';

let fixture: RelayFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const context = { functionName: 'relay', awsRequestId: 'r-1' } as unknown as Context;

describe('the relay Lambda handler', () => {
  it('emits the relay metrics and logs each unpublished and parked item by id and correlation id, never by payload', async () => {
    fixture = await startRelayFixture();
    const repository = testRepository(fixture.doc, fixture.tables);
    for (let i = 0; i < 3; i++) {
      await repository.commit(placeOrder({ customerId: 'c', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }));
    }
    const { sequenceNumber: _seq, ...huge } = outboxItem('order-huge', 1, 300 * 1024);
    await fixture.doc.send(new PutCommand({ TableName: fixture.tables.outbox, Item: { ...huge, detail: JSON.stringify({ ...(JSON.parse(huge.detail) as object), correlationId: 'req-huge' }) } }));
    const records = await fixture.captureRecords();
    const metrics = new Metrics({ namespace: 'test', serviceName: 'outbox' });
    const emitted = captureMetrics(metrics);
    const logger = new Logger({ logLevel: 'SILENT' });
    const errors = vi.spyOn(logger, 'error');

    const response = await createOutboxRelayHandler(fixture.relay, logger, metrics)({ Records: records }, context);

    // Refused for good: parked, so the shard moves on.
    expect(response.batchItemFailures).toEqual([]);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({
      EventsPublished: 3,
      PermanentFailures: 1,
      ItemsParked: 1,
      TransientFailures: 0,
      RecordsSkipped: 0,
      RecordsAlreadyPublished: 0,
      RecordsAlreadyParked: 0,
      RecordsMissingFromOutbox: 0,
      StatusCheckFailures: 0,
      EntriesRetried: 0,
      MarkFailures: 0,
      PutEventsCalls: 1,
      RelayLag: expect.arrayContaining([expect.any(Number)]),
    });
    expect((emitted[0]?.RelayLag as number[]).length).toBe(3);
    expect(errors.mock.calls.map(([message]) => message)).toEqual(['Outbox item parked', 'Outbox item not published']);
    const [, parked] = errors.mock.calls[0] as [string, Record<string, unknown>];
    const [, fields] = errors.mock.calls[1] as [string, Record<string, unknown>];
    expect(parked).toEqual({ aggregateId: 'order-huge', version: 1, errorCode: 'EntryTooLarge', correlationId: 'req-huge' });
    expect(fields).toMatchObject({ aggregateId: 'order-huge', version: 1, errorCode: 'EntryTooLarge', permanent: true, correlationId: 'req-huge' });
    expect(JSON.stringify(errors.mock.calls)).not.toContain('padding');
  });
});
