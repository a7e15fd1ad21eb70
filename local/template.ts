import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type StreamViewType,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import type { EventPattern } from './event-pattern';
import { OrdersServiceStack } from '../lib/orders-service-stack';

/** The parts of a CloudFormation template the local tooling reads. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/**
 * Synthesizes the Orders stack in-process and returns its template. Bundling is skipped: the
 * template is the same, and local code runs the handler sources directly.
 */
export const synthesizeOrdersTemplate = (): CfnTemplate => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  const stack = new OrdersServiceStack(app, 'OrdersService');
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
};

interface CfnTableProperties {
  readonly KeySchema: KeySchemaElement[];
  readonly AttributeDefinitions: AttributeDefinition[];
  readonly GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
  readonly StreamSpecification?: { readonly StreamViewType: StreamViewType };
  readonly TimeToLiveSpecification?: { readonly AttributeName: string; readonly Enabled: boolean };
}

export interface LocalTable {
  readonly logicalId: string;
  readonly tableName: string;
}

/**
 * Creates every `AWS::DynamoDB::Table` of the template (keys, GSIs, stream, TTL) under
 * `prefix + logicalId`. There is no second schema to drift from what `cdk deploy` creates.
 * Returns the table name of each logical id.
 */
export const createTablesFromTemplate = async (
  client: DynamoDBClient,
  template: CfnTemplate,
  prefix = '',
): Promise<Record<string, string>> => {
  const names: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') {
      continue;
    }
    const props = resource.Properties as unknown as CfnTableProperties;
    const tableName = `${prefix}${logicalId}`;
    const input: CreateTableCommandInput = {
      TableName: tableName,
      KeySchema: props.KeySchema,
      AttributeDefinitions: props.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      ...(props.GlobalSecondaryIndexes === undefined
        ? {}
        : {
            GlobalSecondaryIndexes: props.GlobalSecondaryIndexes.map((index) => ({
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
            })),
          }),
      ...(props.StreamSpecification === undefined
        ? {}
        : { StreamSpecification: { StreamEnabled: true, StreamViewType: props.StreamSpecification.StreamViewType } }),
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
      (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription?.TimeToLiveStatus ===
        'ENABLED';
    if (props.TimeToLiveSpecification?.Enabled === true && !ttlEnabled) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: props.TimeToLiveSpecification.AttributeName, Enabled: true },
        }),
      );
    }
    names[logicalId] = tableName;
  }
  return names;
};

/** The logical id of the resource a construct path (e.g. `OrdersService/PlaceOrder/Resource`) made. */
export const logicalIdOf = (template: CfnTemplate, constructPath: string): string => {
  const found = Object.entries(template.Resources).find(
    ([, resource]) => resource.Metadata?.['aws:cdk:path'] === constructPath,
  );
  if (found === undefined) {
    throw new Error(`The template has no resource at ${constructPath}.`);
  }
  return found[0];
};

/** The settings of a stream event source mapping, as the local poller needs them. */
export interface StreamMappingSettings {
  readonly functionLogicalId: string;
  readonly tableLogicalId: string;
  readonly batchSize: number;
  readonly maxBatchingWindowMs: number;
  readonly filters: EventPattern[];
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnFunctionError: boolean;
  readonly maxRetryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  /** The logical id of the SQS queue that receives failure metadata, if any. */
  readonly onFailureQueueLogicalId?: string;
}

/** Every DynamoDB stream mapping of the template, with Lambda's defaults for what it leaves out. */
export const streamMappingsOf = (template: CfnTemplate): StreamMappingSettings[] =>
  Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping')
    .map((resource) => resource.Properties ?? {})
    .filter((props) => JSON.stringify(props.EventSourceArn ?? '').includes('StreamArn'))
    .map((props) => {
      const source = props.EventSourceArn as { 'Fn::GetAtt': [string, string] };
      const functionName = props.FunctionName as { Ref: string };
      const filters = ((props.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? []).map(
        (filter) => JSON.parse(filter.Pattern) as EventPattern,
      );
      const destination = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
        ?.Destination as { 'Fn::GetAtt'?: [string, string] } | undefined;
      return {
        functionLogicalId: functionName.Ref,
        tableLogicalId: source['Fn::GetAtt'][0],
        batchSize: (props.BatchSize as number | undefined) ?? 100,
        maxBatchingWindowMs: ((props.MaximumBatchingWindowInSeconds as number | undefined) ?? 0) * 1000,
        filters,
        reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
        bisectBatchOnFunctionError: props.BisectBatchOnFunctionError === true,
        maxRetryAttempts: (props.MaximumRetryAttempts as number | undefined) ?? -1,
        maxRecordAgeSeconds: (props.MaximumRecordAgeInSeconds as number | undefined) ?? -1,
        ...(destination?.['Fn::GetAtt'] === undefined ? {} : { onFailureQueueLogicalId: destination['Fn::GetAtt'][0] }),
      };
    });

/** The local names of the Orders service's tables. */
export interface OrdersTables {
  readonly orders: string;
  readonly outbox: string;
  readonly idempotency: string;
  readonly readModel: string;
}

/** Picks the Orders service's tables out of the names `createTablesFromTemplate` returned. */
export const ordersTablesOf = (template: CfnTemplate, names: Record<string, string>): OrdersTables => {
  const pick = (constructPath: string): string => {
    const name = names[logicalIdOf(template, constructPath)];
    if (name === undefined) throw new Error(`No local table for ${constructPath}`);
    return name;
  };
  return {
    orders: pick('OrdersService/OrdersTable/Resource'),
    outbox: pick('OrdersService/Outbox/Table/Resource'),
    idempotency: pick('OrdersService/IdempotencyTable/Resource'),
    readModel: pick('OrdersService/ReadModel/Table/Resource'),
  };
};

/** How Lambda handles a function's asynchronous invocations (`AWS::Lambda::EventInvokeConfig`). */
export interface AsyncInvokeSettings {
  /** Retries after a function error, 0..2. */
  readonly maxRetryAttempts: number;
  /** How long an event may wait for an attempt. */
  readonly maxEventAgeSeconds: number;
  /** The logical id of the SQS queue that receives the invocation record of a failed event, if any. */
  readonly onFailureQueueLogicalId?: string;
}

/** Lambda's defaults for a function without an `EventInvokeConfig`: 2 retries, 6 hours, no destination. */
export const DEFAULT_ASYNC_INVOKE: AsyncInvokeSettings = { maxRetryAttempts: 2, maxEventAgeSeconds: 21_600 };

/** Each function's asynchronous-invocation settings by its logical id; functions without one get `DEFAULT_ASYNC_INVOKE`. */
export const asyncInvokeSettingsOf = (template: CfnTemplate): Map<string, AsyncInvokeSettings> => {
  const settings = new Map<string, AsyncInvokeSettings>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
    const props = resource.Properties ?? {};
    const functionLogicalId = (props.FunctionName as { Ref?: string } | undefined)?.Ref;
    if (functionLogicalId === undefined) continue;
    const destination = (props.DestinationConfig as { OnFailure?: { Destination?: { 'Fn::GetAtt'?: [string, string] } } } | undefined)
      ?.OnFailure?.Destination?.['Fn::GetAtt']?.[0];
    settings.set(functionLogicalId, {
      maxRetryAttempts: (props.MaximumRetryAttempts as number | undefined) ?? DEFAULT_ASYNC_INVOKE.maxRetryAttempts,
      maxEventAgeSeconds: (props.MaximumEventAgeInSeconds as number | undefined) ?? DEFAULT_ASYNC_INVOKE.maxEventAgeSeconds,
      ...(destination === undefined ? {} : { onFailureQueueLogicalId: destination }),
    });
  }
  return settings;
};

/**
 * The Orders service's functions that local faults act on, by logical id: the one place that
 * knows which function is which (by the construct path the service gives it). A template
 * without one (a hand-made test assembly) leaves it out, and its faults then act on nothing.
 */
export interface OrdersFunctions {
  /** The outbox relay (`relayPaused`, `relayCrashAfterPublishRate`). */
  readonly relay?: string;
  /** The outbox reconciler, which runs the Orders audit (`auditFails`). */
  readonly reconciler?: string;
  /** The read-model projector (`projectorFailureRate`). */
  readonly projector?: string;
}

const ORDERS_FUNCTION_PATHS: Record<keyof OrdersFunctions, string> = {
  relay: '/Outbox/Relay/Resource',
  reconciler: '/Outbox/Reconciler/Resource',
  projector: '/ReadModel/Projector/Resource',
};

export const ordersFunctionsOf = (template: CfnTemplate): OrdersFunctions => {
  const found: Partial<Record<keyof OrdersFunctions, string>> = {};
  for (const [role, suffix] of Object.entries(ORDERS_FUNCTION_PATHS) as [keyof OrdersFunctions, string][]) {
    const match = Object.entries(template.Resources).find(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function' && String(resource.Metadata?.['aws:cdk:path'] ?? '').endsWith(suffix),
    );
    if (match !== undefined) found[role] = match[0];
  }
  return found;
};

/** A template asks the local stack for an authorization it does not emulate (an IAM or Lambda authorizer). */
export class UnsupportedAuthorizerError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UnsupportedAuthorizerError';
  }
}

/** Where a JWT authorizer finds the token: one request header or one query string parameter. */
export interface IdentitySource {
  readonly in: 'header' | 'querystring';
  /** Lower-cased for a header (HTTP API lower-cases header names). */
  readonly name: string;
}

/**
 * An `AWS::ApiGatewayV2::Authorizer` of type JWT, as the template has it: `issuer` and
 * `audience` are still the template's values (often `Fn::Join` and `Ref`), for the caller to
 * resolve.
 */
export interface JwtAuthorizerSettings {
  readonly logicalId: string;
  readonly name: string;
  readonly issuer: unknown;
  readonly audience: readonly unknown[];
  readonly identitySource: IdentitySource;
}

/** How one route is authorized (`AuthorizationType`, `AuthorizerId`, `AuthorizationScopes`). */
export interface RouteAuthorization {
  /** The route is open (`NONE`, as on AWS when a route names no authorizer), or needs a JWT. */
  readonly type: 'NONE' | 'JWT';
  /** The logical id of its JWT authorizer. */
  readonly authorizerLogicalId?: string;
  /** The token must carry one of these in `scope` or `scp`; empty means any valid token. */
  readonly scopes: readonly string[];
}

const IDENTITY_SOURCE = /^\$request\.(header|querystring)\.([A-Za-z0-9!#$%&'*+.^_`|~-]+)$/;

/** Every JWT authorizer of the template by logical id; any other authorizer type is refused. */
export const jwtAuthorizersOf = (template: CfnTemplate): Map<string, JwtAuthorizerSettings> => {
  const authorizers = new Map<string, JwtAuthorizerSettings>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Authorizer') continue;
    const props = resource.Properties ?? {};
    const type = String(props.AuthorizerType);
    if (type !== 'JWT') {
      throw new UnsupportedAuthorizerError(
        `Authorizer ${logicalId} is of type ${type}; the local stack emulates only JWT authorizers (HttpJwtAuthorizer, HttpUserPoolAuthorizer). ` +
          'Use a JWT authorizer, or run this API on AWS.',
      );
    }
    const config = (props.JwtConfiguration ?? {}) as { Issuer?: unknown; Audience?: unknown[] };
    const sources = (props.IdentitySource as unknown[] | undefined) ?? ['$request.header.Authorization'];
    const source = sources.length === 1 && typeof sources[0] === 'string' ? IDENTITY_SOURCE.exec(sources[0]) : null;
    if (source === null || config.Issuer === undefined) {
      throw new UnsupportedAuthorizerError(
        `JWT authorizer ${logicalId} needs one identity source ($request.header.NAME or $request.querystring.NAME) and an issuer; ` +
          `it has ${JSON.stringify(sources)} and ${JSON.stringify(config.Issuer ?? null)}.`,
      );
    }
    const where = source[1] as 'header' | 'querystring';
    const name = source[2] as string;
    authorizers.set(logicalId, {
      logicalId,
      name: String(props.Name ?? logicalId),
      issuer: config.Issuer,
      audience: config.Audience ?? [],
      identitySource: { in: where, name: where === 'header' ? name.toLowerCase() : name },
    });
  }
  return authorizers;
};

/** How each route of the template (by its `RouteKey`, e.g. `GET /orders/{id}`) is authorized. */
export const routeAuthorizationsOf = (template: CfnTemplate): Map<string, RouteAuthorization> => {
  const authorizers = jwtAuthorizersOf(template);
  const routes = new Map<string, RouteAuthorization>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Route') continue;
    const props = resource.Properties ?? {};
    const routeKey = String(props.RouteKey);
    const type = String(props.AuthorizationType ?? 'NONE');
    const scopes = ((props.AuthorizationScopes as unknown[] | undefined) ?? []).map(String);
    if (type === 'NONE') {
      routes.set(routeKey, { type: 'NONE', scopes: [] });
      continue;
    }
    const authorizerLogicalId = (props.AuthorizerId as { Ref?: unknown } | undefined)?.Ref;
    if (type !== 'JWT') {
      throw new UnsupportedAuthorizerError(
        `Route ${routeKey} (${logicalId}) uses AuthorizationType ${type}; the local stack emulates only JWT authorizers. ` +
          'Use a JWT authorizer (HttpJwtAuthorizer, HttpUserPoolAuthorizer), or run this API on AWS.',
      );
    }
    if (typeof authorizerLogicalId !== 'string' || !authorizers.has(authorizerLogicalId)) {
      throw new UnsupportedAuthorizerError(
        `Route ${routeKey} (${logicalId}) needs a JWT but names no JWT authorizer of this template (AuthorizerId ${JSON.stringify(props.AuthorizerId ?? null)}).`,
      );
    }
    routes.set(routeKey, { type: 'JWT', authorizerLogicalId, scopes });
  }
  return routes;
};
