import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoOrderRepository } from '../../lambdas/adapters/dynamodb-order-repository';
import { type CfnTemplate } from '../../local/model';
import { type OrdersTables, ordersTablesOf, synthesizeOrdersTemplate } from '../../local/apps/orders';
import { createTablesFromTemplate } from '../../local/dynamodb/tables';

export type TestTables = OrdersTables;

let template: CfnTemplate | undefined;

/** The synthesized template, once per test file. */
export const ordersTemplate = (): CfnTemplate => {
  template ??= synthesizeOrdersTemplate();
  return template;
};

export const testDynamoClient = (endpoint: string = inject('dynamodbEndpoint')): DynamoDBClient =>
  new DynamoDBClient({ endpoint, maxAttempts: 3 });

/** One command a client sent: its name (`GetItem`, `TransactWriteItems`), the tables it named, and whether it read consistently. */
export interface DynamoCall {
  readonly command: string;
  readonly tables: string[];
  readonly consistentRead?: boolean;
}

/**
 * A real client whose middleware only writes down each command it sends (once per `send`, before
 * the SDK's own retries), for tests that count what a use case costs in DynamoDB calls.
 */
export const countingDynamoClient = (endpoint?: string): { client: DynamoDBClient; calls: DynamoCall[] } => {
  const client = testDynamoClient(endpoint);
  const calls: DynamoCall[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; ConsistentRead?: boolean; TransactItems?: Record<string, { TableName?: string }>[] };
      const tables =
        input.TableName !== undefined
          ? [input.TableName]
          : (input.TransactItems ?? []).flatMap((item) => Object.values(item).flatMap((operation) => operation.TableName ?? []));
      calls.push({
        command: (context.commandName ?? 'unknown').replace(/Command$/, ''),
        tables,
        ...(input.ConsistentRead === undefined ? {} : { consistentRead: input.ConsistentRead }),
      });
      return next(args);
    },
    { step: 'initialize', name: 'countDynamoCalls' },
  );
  return { client, calls };
};

export const uniquePrefix = (): string => `t${randomBytes(4).toString('hex')}-`;

/** Fresh tables from the synthesized template, under a prefix of this test file's own. */
export const createTestTables = async (client: DynamoDBClient, prefix = uniquePrefix()): Promise<TestTables> => {
  const names = await createTablesFromTemplate(client, ordersTemplate(), prefix);
  return ordersTablesOf(ordersTemplate(), names);
};

export const documentClient = (client: DynamoDBClient): DynamoDBDocumentClient => createDocumentClient(client);

/** Every item of a (small, test-sized) table. */
export const scanAll = async (client: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
};

export const outboxOf = async (
  client: DynamoDBDocumentClient,
  outboxTable: string,
  aggregateId: string,
): Promise<Record<string, unknown>[]> => {
  const page = await client.send(
    new QueryCommand({
      TableName: outboxTable,
      KeyConditionExpression: 'aggregateId = :id',
      ExpressionAttributeValues: { ':id': aggregateId },
      ConsistentRead: true,
    }),
  );
  return page.Items ?? [];
};

export interface TableCounts {
  readonly orders: number;
  readonly outbox: number;
  readonly idempotency: number;
}

export const countAll = async (client: DynamoDBDocumentClient, tables: TestTables): Promise<TableCounts> => ({
  orders: (await scanAll(client, tables.orders)).length,
  // Events only: version 0 holds control records (parking holds, the audit's cursor).
  outbox: (await scanAll(client, tables.outbox)).filter((item) => (item.version as number) > 0).length,
  idempotency: (await scanAll(client, tables.idempotency)).length,
});

/** The production repository on the test tables, with a day-long idempotency TTL and 4 shards. */
export const testRepository = (doc: DynamoDBDocumentClient, tables: TestTables, now?: () => Date): DynamoOrderRepository =>
  new DynamoOrderRepository(doc, {
    ordersTableName: tables.orders,
    outboxTableName: tables.outbox,
    idempotencyTableName: tables.idempotency,
    idempotencyTtlSeconds: 86_400,
    pendingShards: 4,
    ...(now === undefined ? {} : { now }),
  });
