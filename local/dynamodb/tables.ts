/**
 * The template's tables, created in DynamoDB Local as CloudFormation creates them on
 * `cdk deploy` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html):
 * key schema, global secondary indexes, stream and TTL, under `prefix + logicalId`, on-demand.
 * There is no second schema to drift from what `cdk deploy` creates.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
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
 * Creates every `AWS::DynamoDB::Table` of a template under `prefix + logicalId` (tests and
 * benchmarks that need the tables without the rest of the stack). Returns the table name of each logical id.
 */
export const createTablesFromTemplate = async (client: DynamoDBClient, template: CfnTemplate, prefix = ''): Promise<Record<string, string>> => {
  const tables = tablesOf(template, { tablePrefix: prefix });
  await createTables(client, tables);
  return Object.fromEntries(tables.map((table) => [table.logicalId, table.tableName]));
};
