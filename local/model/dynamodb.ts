import type { AttributeDefinition, GlobalSecondaryIndex, KeySchemaElement, StreamViewType } from '@aws-sdk/client-dynamodb';
import { type LocalNames, localTableName } from './intrinsics';
import { type CfnTemplate, constructPathOf, resourcesOfType } from './template';

/** An `AWS::DynamoDB::Table` with the properties the local engine creates it from. */
export interface TableModel {
  readonly logicalId: string;
  /** The local table name: the prefix and the logical id. */
  readonly tableName: string;
  readonly constructPath?: string;
  readonly keySchema: KeySchemaElement[];
  readonly attributeDefinitions: AttributeDefinition[];
  readonly globalSecondaryIndexes: GlobalSecondaryIndex[];
  /** `StreamSpecification.StreamViewType`, when the table has a stream. */
  readonly streamViewType?: StreamViewType;
  /** `TimeToLiveSpecification.AttributeName`, when TTL is enabled. */
  readonly timeToLiveAttribute?: string;
}

interface CfnTableProperties {
  readonly KeySchema: KeySchemaElement[];
  readonly AttributeDefinitions: AttributeDefinition[];
  readonly GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
  readonly StreamSpecification?: { readonly StreamViewType: StreamViewType };
  readonly TimeToLiveSpecification?: { readonly AttributeName: string; readonly Enabled: boolean };
}

export const tablesOf = (template: CfnTemplate, names: LocalNames): TableModel[] =>
  resourcesOfType(template, 'AWS::DynamoDB::Table').map(([logicalId, resource]) => {
    const props = resource.Properties as unknown as CfnTableProperties;
    const constructPath = constructPathOf(resource);
    return {
      logicalId,
      tableName: localTableName(names, logicalId),
      ...(constructPath === undefined ? {} : { constructPath }),
      keySchema: props.KeySchema,
      attributeDefinitions: props.AttributeDefinitions,
      globalSecondaryIndexes: props.GlobalSecondaryIndexes ?? [],
      ...(props.StreamSpecification === undefined ? {} : { streamViewType: props.StreamSpecification.StreamViewType }),
      ...(props.TimeToLiveSpecification?.Enabled === true ? { timeToLiveAttribute: props.TimeToLiveSpecification.AttributeName } : {}),
    };
  });
