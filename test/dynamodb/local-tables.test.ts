import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { TableModel } from '../../local/model/dynamodb';
import { createTables } from '../../local/dynamodb/tables';
import { documentClient, testDynamoClient, uniquePrefix } from '../support/dynamodb';

/** The local stack's tables on a persistent database: what the template gained since, the table gets. */
describe('local tables kept across restarts', () => {
  it("adds an index the template gained since the table was created, with the table's items in it", async () => {
    const client = testDynamoClient();
    const doc = documentClient(client);
    const tableName = `${uniquePrefix()}Outbox`;
    const before: TableModel = {
      logicalId: 'Outbox',
      tableName,
      keySchema: [{ AttributeName: 'aggregateId', KeyType: 'HASH' }],
      attributeDefinitions: [{ AttributeName: 'aggregateId', AttributeType: 'S' }],
      globalSecondaryIndexes: [],
    };
    const after: TableModel = {
      ...before,
      attributeDefinitions: [...before.attributeDefinitions, { AttributeName: 'occurredKey', AttributeType: 'S' }],
      globalSecondaryIndexes: [{ IndexName: 'occurred', KeySchema: [{ AttributeName: 'occurredKey', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
    };
    try {
      await createTables(client, [before]);
      await doc.send(new PutCommand({ TableName: tableName, Item: { aggregateId: 'o-1', occurredKey: '2026-11-27#0' } }));

      await createTables(client, [after]);
      await createTables(client, [after]);

      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['occurred']);
      const found = await doc.send(
        new QueryCommand({ TableName: tableName, IndexName: 'occurred', KeyConditionExpression: 'occurredKey = :k', ExpressionAttributeValues: { ':k': '2026-11-27#0' } }),
      );
      expect(found.Items).toEqual([{ aggregateId: 'o-1', occurredKey: '2026-11-27#0' }]);
    } finally {
      await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      client.destroy();
    }
  });
});
