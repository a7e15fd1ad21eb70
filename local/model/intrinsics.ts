import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, UnsupportedConstructError, friendlyName } from './template';

/** Turns a template value (a literal or an intrinsic function) into its local string. */
export type Resolve = (value: unknown, where?: string) => string;

/** How the local stack names what it creates. */
export interface LocalNames {
  /** Prefix of the local table names (`prefix + logicalId`). */
  readonly tablePrefix: string;
}

/** The local table name of a table's logical id. */
export const localTableName = (names: LocalNames, logicalId: string): string => `${names.tablePrefix}${logicalId}`;

/**
 * Resolves the intrinsic functions a local environment needs, as CloudFormation does at deploy
 * time (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):
 * `Ref` (a table's name, a function's name, a queue's URL, the pseudo parameters), `Fn::GetAtt`
 * (`Arn`, a table's `StreamArn`) and `Fn::Join`. Anything else is refused with the value and where
 * the template has it.
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
        return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${logicalId}`;
      default:
        return logicalId;
    }
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
        return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
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
        return arnOf(logicalId, attribute, where);
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
