import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxMarker } from '../../lambdas/outbox/marker';
import { type TestTables, createTestTables, documentClient, testDynamoClient } from '../support/dynamodb';

/** The relay's marks (conditional `UpdateItem`s, a few in flight) on DynamoDB Local. */
const client = testDynamoClient();
const doc = documentClient(client);
let tables: TestTables;

beforeAll(async () => {
  tables = await createTestTables(client);
});
afterAll(() => client.destroy());

let next = 0;
const pending = async (count: number): Promise<{ aggregateId: string; version: number }[]> => {
  const keys = Array.from({ length: count }, () => ({ aggregateId: `mark-${next++}`, version: 1 }));
  for (const key of keys) {
    await doc.send(
      new PutCommand({
        TableName: tables.outbox,
        Item: { ...key, eventId: `e-${key.aggregateId}`, status: 'PENDING', pendingShard: 'p#0', pendingSince: '2026-11-27T06:00:00.000Z', detail: '{}' },
      }),
    );
  }
  return keys;
};
const get = async (key: { aggregateId: string; version: number }) =>
  (await doc.send(new GetCommand({ TableName: tables.outbox, Key: key, ConsistentRead: true }))).Item;

describe('marking published outbox items', () => {
  it('marks every item more than its concurrency: published, TTL set, out of the pending index', async () => {
    const keys = await pending(53);
    // Relative to the real clock: DynamoDB Local's TTL deletes an item soon after its expiresAt.
    const at = new Date();

    const outcome = await new OutboxMarker(doc, { tableName: tables.outbox, retentionSeconds: 3600 }).markPublished(keys, at);

    expect(outcome).toEqual({ marked: keys.length, alreadyMarked: 0, failed: 0 });
    for (const key of keys) {
      const item = await get(key);
      expect(item).toMatchObject({ status: 'PUBLISHED', publishedAt: at.toISOString(), expiresAt: Math.floor(at.getTime() / 1000) + 3600 });
      expect(item?.pendingShard).toBeUndefined();
      expect(item?.pendingSince).toBeUndefined();
    }
    const { Items = [] } = await doc.send(
      new QueryCommand({ TableName: tables.outbox, IndexName: 'pending', KeyConditionExpression: 'pendingShard = :s', ExpressionAttributeValues: { ':s': 'p#0' } }),
    );
    expect(Items.filter((item) => keys.some((key) => key.aggregateId === item.aggregateId))).toEqual([]);
  });

  it('leaves a published, a parked and a removed item exactly as they are (a late duplicate)', async () => {
    const [published, parked, removed, fresh] = (await pending(4)) as [never, never, never, never];
    const marker = new OutboxMarker(doc, { tableName: tables.outbox });
    await marker.markPublished([published], new Date(Date.now() - 3_600_000));
    const publishedBefore = await get(published);
    await doc.send(new PutCommand({ TableName: tables.outbox, Item: { ...(await get(parked)), status: 'PARKED', pendingShard: undefined } }));
    const parkedBefore = await get(parked);
    const removedKey = { aggregateId: 'mark-never-written', version: 1 };

    const outcome = await marker.markPublished([published, parked, removedKey, fresh, removed], new Date());

    expect(outcome).toEqual({ marked: 2, alreadyMarked: 3, failed: 0 });
    expect(await get(published)).toEqual(publishedBefore);
    expect(await get(parked)).toEqual(parkedBefore);
    expect(await get(removedKey)).toBeUndefined();
    expect(await get(fresh)).toMatchObject({ status: 'PUBLISHED' });
  });

  it('counts every refused mark as failed and tells which, leaving them pending', async () => {
    const keys = await pending(3);
    const errors: { key: unknown; error: unknown }[] = [];

    const outcome = await new OutboxMarker(doc, { tableName: `${tables.outbox}-missing` }).markPublished(keys, new Date(), (key, error) =>
      errors.push({ key, error }),
    );

    expect(outcome).toEqual({ marked: 0, alreadyMarked: 0, failed: 3 });
    expect(errors.map((e) => e.key)).toEqual(expect.arrayContaining(keys));
    expect(errors).toHaveLength(keys.length);
    for (const key of keys) expect(await get(key)).toMatchObject({ status: 'PENDING' });
  });

  it('marks a key given twice once', async () => {
    const [twice, other] = (await pending(2)) as [never, never];

    const outcome = await new OutboxMarker(doc, { tableName: tables.outbox }).markPublished([twice, other, twice], new Date());

    expect(outcome).toEqual({ marked: 2, alreadyMarked: 1, failed: 0 });
    expect(await get(twice)).toMatchObject({ status: 'PUBLISHED' });
    expect(await get(other)).toMatchObject({ status: 'PUBLISHED' });
  });

  it('reports a mark DynamoDB refuses with its error, and marks the rest', async () => {
    const [good] = (await pending(1)) as [never];
    const emptyKey = { aggregateId: '', version: 1 };
    const errors: unknown[] = [];

    const outcome = await new OutboxMarker(doc, { tableName: tables.outbox }).markPublished([emptyKey, good], new Date(), (_key, error) => errors.push(error));

    expect(outcome).toEqual({ marked: 1, alreadyMarked: 0, failed: 1 });
    expect(errors).toEqual([expect.objectContaining({ name: 'ValidationException' })]);
    expect(await get(good)).toMatchObject({ status: 'PUBLISHED' });
  });
});
