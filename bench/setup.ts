import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamodb-client';
import { DynamoOrderRepository } from '../lambdas/adapters/dynamodb-order-repository';
import { type OrdersTables, ordersTablesOf, synthesizeOrdersTemplate } from '../local/apps/orders';
import { createTablesFromTemplate } from '../local/dynamodb/tables';

export interface BenchTables {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: OrdersTables;
  readonly repository: DynamoOrderRepository;
}

/** Fresh tables from the synthesized template, and the production repository on them. */
export const benchTables = async (endpoint: string, prefix: string): Promise<BenchTables> => {
  const template = synthesizeOrdersTemplate();
  const client = new DynamoDBClient({ endpoint });
  const doc = createDocumentClient(client);
  const tables = ordersTablesOf(template, await createTablesFromTemplate(client, template, `${prefix}${Date.now()}-`));
  const repository = new DynamoOrderRepository(doc, {
    ordersTableName: tables.orders,
    outboxTableName: tables.outbox,
    idempotencyTableName: tables.idempotency,
    idempotencyTtlSeconds: 86_400,
    pendingShards: 4,
  });
  return { client, doc, tables, repository };
};
