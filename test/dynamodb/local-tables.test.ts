import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { TableModel } from '../../local/model/dynamodb';
import { startDynamoDbLocal } from '../../local/dynamodb/engine';
import { createTables } from '../../local/dynamodb/tables';
import { documentClient, testDynamoClient, uniquePrefix } from '../support/dynamodb';

/**
 * The local stack's tables on a persistent database: what the template gained since, the table
 * gets. On a DynamoDB Local of its own: building an index in the background on the tier's shared
 * one stalled other files' tests (a CI run saw an audit miss an order while this test waited 60 s).
 */
describe('local tables kept across restarts', () => {
  it("adds an index the template gained since the table was created, with the table's items in it", async () => {
    const engine = await startDynamoDbLocal({});
    const client = testDynamoClient(engine.endpoint);
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
      client.destroy();
      await engine.stop();
    }
  });
});
