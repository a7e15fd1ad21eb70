/**
 * The template's tables, created in DynamoDB Local as CloudFormation creates them on
 * `cdk deploy` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html):
 * key schema, global secondary indexes, stream and TTL, under `prefix + logicalId`, on-demand.
 * There is no second schema to drift from what `cdk deploy` creates.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { type TableModel, tablesOf } from '../model/dynamodb';
import type { CfnTemplate } from '../model/template';

/** Creates each table (keeping one a persistent database already has) and turns its TTL on. */
export const createTables = async (client: DynamoDBClient, tables: readonly TableModel[]): Promise<void> => {
  for (const table of tables) {
    const input: CreateTableCommandInput = {
      TableName: table.tableName,
      KeySchema: table.keySchema,
      AttributeDefinitions: table.attributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      ...(table.globalSecondaryIndexes.length === 0
        ? {}
        : {
            GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
            })),
          }),
      ...(table.streamViewType === undefined ? {} : { StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType } }),
    };
    let existed = false;
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error: unknown) {
      // A persistent local database keeps its tables across restarts.
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) {
        throw error;
      }
      existed = true;
    }
    if (existed) await addMissingIndexes(client, table);
    const ttlEnabled =
      existed &&
      (await client.send(new DescribeTimeToLiveCommand({ TableName: table.tableName }))).TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED';
    if (table.timeToLiveAttribute !== undefined && !ttlEnabled) {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: table.tableName, TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true } }),
      );
    }
  }
};

/**
 * A table a persistent database kept from before the template gained an index gets it, as
 * CloudFormation adds it on the next deploy (one `UpdateTable` an index, as DynamoDB requires).
 */
const addMissingIndexes = async (client: DynamoDBClient, table: TableModel): Promise<void> => {
  const described = await client.send(new DescribeTableCommand({ TableName: table.tableName }));
  const existing = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of table.globalSecondaryIndexes) {
    if (existing.has(index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: table.tableName,
        AttributeDefinitions: table.attributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
      }),
    );
    await untilIndexesActive(client, table.tableName);
  }
  // An index an earlier start added and stopped waiting for is waited for too.
  await untilIndexesActive(client, table.tableName);
};

/** DynamoDB Local fills a new index in the background and fails queries on it until then. */
const untilIndexesActive = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  for (let waited = 0; ; waited += INDEX_POLL_MS) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const building = (Table?.GlobalSecondaryIndexes ?? []).filter((gsi) => gsi.IndexStatus !== undefined && gsi.IndexStatus !== 'ACTIVE').map((gsi) => gsi.IndexName);
    if (building.length === 0) return;
    if (waited >= INDEX_WAIT_MS) {
      throw new Error(`DynamoDB Local did not finish the index ${building.join(', ')} of ${tableName} in ${INDEX_WAIT_MS / 1000} s: start again to wait on.`);
    }
    await sleep(INDEX_POLL_MS);
  }
};

const INDEX_POLL_MS = 100;
const INDEX_WAIT_MS = 120_000;

/**
 * Creates every `AWS::DynamoDB::Table` of a template under `prefix + logicalId` (tests and
 * benchmarks that need the tables without the rest of the stack). Returns the table name of each logical id.
 */
export const createTablesFromTemplate = async (client: DynamoDBClient, template: CfnTemplate, prefix = ''): Promise<Record<string, string>> => {
  const tables = tablesOf(template, { tablePrefix: prefix });
  await createTables(client, tables);
  return Object.fromEntries(tables.map((table) => [table.logicalId, table.tableName]));
};
