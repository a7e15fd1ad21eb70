import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, UnsupportedConstructError, friendlyName, localFunctionArn, localQueueArn } from './template';

/** Turns a template value (a literal or an intrinsic function) into its local string. */
export type Resolve = (value: unknown, where?: string) => string;

/** How the local stack names what it creates. */
export interface LocalNames {
  /** Prefix of the local table names (`prefix + logicalId`). */
  readonly tablePrefix: string;
  /**
   * The local stack's API URL, which also serves the SQS API: a queue's URL is
   * `<apiUrl>/000000000000/<queue name>`.
   * @default http://127.0.0.1:3000
   */
  readonly apiUrl?: string;
}

/** The local stack's API URL when none is named (`npm start`'s). */
const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** The local table name of a table's logical id. */
export const localTableName = (names: LocalNames, logicalId: string): string => `${names.tablePrefix}${logicalId}`;

/** The local name of a queue's logical id (the logical id itself). */
export const localQueueName = (logicalId: string): string => logicalId;

/** The URL of a local queue, on the local stack's API (SQS's path form: account, then name). */
export const localQueueUrl = (names: LocalNames, logicalId: string): string =>
  `${names.apiUrl ?? DEFAULT_API_URL}/${LOCAL_ACCOUNT}/${localQueueName(logicalId)}`;

/**
 * Resolves the intrinsic functions a local environment needs, as CloudFormation does at deploy
 * time (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):
 * `Ref` (a table's name, a function's name, a queue's URL, the pseudo parameters), `Fn::GetAtt`
 * (`Arn`, a table's `StreamArn`, a queue's `QueueName` and `QueueUrl`, an HTTP API's `ApiEndpoint`:
 * the local API URL) and `Fn::Join`. Anything else is refused with the value and where the
 * template has it.
 */
export const resolver = (template: CfnTemplate, names: LocalNames): Resolve => {
  const nameOf = (logicalId: string, where: string | undefined): string => {
    const resource = template.Resources[logicalId];
    if (resource === undefined) throw new UnsupportedConstructError(`The template has no resource ${logicalId}${at(where)}.`);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return localTableName(names, logicalId);
      case 'AWS::Lambda::Function':
        return friendlyName(resource, logicalId);
      case 'AWS::SQS::Queue':
        return localQueueUrl(names, logicalId);
      default:
        return logicalId;
    }
  };
  const attributeOf = (logicalId: string, attribute: string, where: string | undefined): string => {
    const type = template.Resources[logicalId]?.Type;
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueName') return localQueueName(logicalId);
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueUrl') return localQueueUrl(names, logicalId);
    if (type === 'AWS::ApiGatewayV2::Api' && attribute === 'ApiEndpoint') return names.apiUrl ?? DEFAULT_API_URL;
    if (attribute === 'Arn' || (attribute === 'StreamArn' && type === 'AWS::DynamoDB::Table')) return arnOf(logicalId, attribute, where);
    throw new UnsupportedConstructError(
      `The local stack cannot resolve Fn::GetAtt ${logicalId}.${attribute}${at(where)}: it resolves Arn, a table's StreamArn, a queue's QueueName and QueueUrl, and an HTTP API's ApiEndpoint.`,
    );
  };
  const arnOf = (logicalId: string, attribute: string, where: string | undefined): string => {
    const resource = template.Resources[logicalId];
    const name = nameOf(logicalId, where);
    switch (resource?.Type) {
      case 'AWS::DynamoDB::Table':
        return attribute === 'StreamArn'
          ? `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}/stream/local`
          : `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
      case 'AWS::Lambda::Function':
        return localFunctionArn(name);
      case 'AWS::SQS::Queue':
        return localQueueArn(localQueueName(logicalId));
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name}`;
      default:
        return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
    }
  };
  const resolve: Resolve = (value, where) => {
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    if (typeof value === 'object' && value !== null) {
      const intrinsic = value as Record<string, unknown>;
      if (typeof intrinsic.Ref === 'string') {
        if (intrinsic.Ref === 'AWS::Region') return LOCAL_REGION;
        if (intrinsic.Ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
        if (intrinsic.Ref === 'AWS::Partition') return 'aws';
        if (intrinsic.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
        return nameOf(intrinsic.Ref, where);
      }
      if (Array.isArray(intrinsic['Fn::GetAtt'])) {
        const [logicalId, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
        return attributeOf(logicalId, attribute, where);
      }
      if (Array.isArray(intrinsic['Fn::Join'])) {
        const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
        return parts.map((part) => resolve(part, where)).join(separator);
      }
    }
    throw new UnsupportedConstructError(
      `The local stack cannot resolve ${JSON.stringify(value)}${at(where)}: it resolves Ref, Fn::GetAtt and Fn::Join. Use a literal, or run this on AWS.`,
    );
  };
  return resolve;
};

const at = (where: string | undefined): string => (where === undefined ? '' : ` (${where})`);
