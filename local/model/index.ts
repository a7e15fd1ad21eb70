import { type TableModel, tablesOf } from './dynamodb';
import { type RuleModel, rulesOf } from './events';
import { type HttpRouteModel, type JwtAuthorizerSettings, httpRoutesOf, jwtAuthorizersOf } from './http-api';
import { type LocalNames, type Resolve, localQueueName, localQueueUrl, resolver } from './intrinsics';
import { type FunctionModel, type StreamMappingSettings, functionsOf, streamMappingsOf } from './lambda';
import { type CfnResource, type CfnTemplate, UnsupportedConstructError, constructPathOf, localQueueArn, referencedLogicalId, resourcesOfType } from './template';

export * from './dynamodb';
export * from './events';
export * from './http-api';
export * from './intrinsics';
export * from './lambda';
export * from './template';

/** An `AWS::SQS::Queue`, served by the local SQS API (local/sqs) under its local name and URL. */
export interface QueueModel {
  readonly logicalId: string;
  readonly constructPath?: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  /** `VisibilityTimeout`. @default 30 */
  readonly visibilityTimeoutSeconds: number;
  /** `MessageRetentionPeriod`. @default 345600 (4 days) */
  readonly messageRetentionSeconds: number;
  /** `DelaySeconds`. @default 0 */
  readonly delaySeconds: number;
  /** `ReceiveMessageWaitTimeSeconds`. @default 0 */
  readonly receiveWaitTimeSeconds: number;
  /** `MaximumMessageSize`. @default 1048576 (1 MiB) */
  readonly maximumMessageSizeBytes: number;
}

/** A stack output the local resolver could resolve (DescribeStacks answers these). */
export interface OutputModel {
  readonly key: string;
  readonly value: string;
  readonly description?: string;
  readonly exportName?: string;
}

/**
 * The synthesized app as the local stack runs it: one typed description read from the template
 * before anything starts, intrinsic functions resolved, and one clear error
 * (`UnsupportedConstructError`) for the first construct the local stack cannot emulate.
 */
export interface AppModel {
  readonly template: CfnTemplate;
  readonly functions: readonly FunctionModel[];
  readonly httpRoutes: readonly HttpRouteModel[];
  /** JWT authorizers by logical id, audiences resolved in `audience` and as the template has them in `settings`. */
  readonly jwtAuthorizers: ReadonlyMap<string, { readonly settings: JwtAuthorizerSettings; readonly audience: readonly string[] }>;
  readonly tables: readonly TableModel[];
  readonly streamMappings: readonly StreamMappingSettings[];
  readonly rules: readonly RuleModel[];
  readonly queues: readonly QueueModel[];
  /** The template's outputs, resolved; one the local stack cannot resolve is left out. */
  readonly outputs: readonly OutputModel[];
}

/** Reads the template of a cloud assembly whose function bundles are in `assemblyDir`. */
export const readAppModel = (template: CfnTemplate, assemblyDir: string, names: LocalNames): AppModel => {
  const resolve = resolver(template, names);
  const httpRoutes = httpRoutesOf(template);
  const jwtAuthorizers = new Map(
    [...jwtAuthorizersOf(template)].map(([logicalId, settings]) => [
      logicalId,
      { settings, audience: settings.audience.map((value) => resolve(value, `authorizer ${logicalId}, Audience`)) },
    ]),
  );
  return {
    template,
    functions: functionsOf(template, assemblyDir, resolve),
    httpRoutes,
    jwtAuthorizers,
    tables: tablesOf(template, names),
    streamMappings: streamMappingsOf(template),
    rules: rulesOf(template, resolve),
    queues: resourcesOfType(template, 'AWS::SQS::Queue').map(([logicalId, resource]) => withPath(queueOf(logicalId, resource, names), resource)),
    outputs: outputsOf(template, resolve),
  };
};

const queueOf = (logicalId: string, resource: CfnResource, names: LocalNames): QueueModel => {
  const seconds = (property: string, fallback: number): number => {
    const value = resource.Properties?.[property];
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) {
      throw new UnsupportedConstructError(`Queue ${logicalId} has ${property} ${JSON.stringify(value)}: the local stack reads a literal non-negative integer.`);
    }
    return number;
  };
  const name = localQueueName(logicalId);
  return {
    logicalId,
    name,
    url: localQueueUrl(names, logicalId),
    arn: localQueueArn(name),
    visibilityTimeoutSeconds: seconds('VisibilityTimeout', 30),
    messageRetentionSeconds: seconds('MessageRetentionPeriod', 345_600),
    delaySeconds: seconds('DelaySeconds', 0),
    receiveWaitTimeSeconds: seconds('ReceiveMessageWaitTimeSeconds', 0),
    maximumMessageSizeBytes: seconds('MaximumMessageSize', 1_048_576),
  };
};

/** The resource types the local stack runs: an output naming another (a user pool, a dashboard) has no local value. */
const EMULATED_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::Lambda::Function', 'AWS::SQS::Queue', 'AWS::Events::EventBus', 'AWS::ApiGatewayV2::Api']);

const namesUnemulated = (template: CfnTemplate, value: unknown): boolean => {
  if (Array.isArray(value)) return value.some((item) => namesUnemulated(template, item));
  if (typeof value !== 'object' || value === null) return false;
  const logicalId = referencedLogicalId(value);
  const type = logicalId === undefined ? undefined : template.Resources[logicalId]?.Type;
  if (type !== undefined && !EMULATED_TYPES.has(type)) return true;
  return Object.values(value).some((item) => namesUnemulated(template, item));
};

const outputsOf = (template: CfnTemplate, resolve: Resolve): OutputModel[] =>
  Object.entries(template.Outputs ?? {}).flatMap(([key, output]) => {
    if (namesUnemulated(template, output.Value)) return [];
    try {
      const exportName = output.Export === undefined ? undefined : resolve(output.Export.Name, `output ${key}, Export`);
      return [
        {
          key,
          value: resolve(output.Value, `output ${key}`),
          ...(output.Description === undefined ? {} : { description: output.Description }),
          ...(exportName === undefined ? {} : { exportName }),
        },
      ];
    } catch (error: unknown) {
      // An output naming what the local stack does not emulate is not the local stack's to refuse.
      if (error instanceof UnsupportedConstructError) return [];
      throw error;
    }
  });

const withPath = <T extends object>(value: T, resource: CfnResource): T & { constructPath?: string } => {
  const constructPath = constructPathOf(resource);
  return constructPath === undefined ? value : { ...value, constructPath };
};
