import * as path from 'node:path';
import { LAMBDA_FILTER_CHECK, eventPatternProblems } from '../../lib/event-pattern-validation';
import type { EventPattern } from '../events/pattern';
import { InvalidEventPatternError } from './events';
import type { Resolve } from './intrinsics';
import { type CfnTemplate, UnsupportedConstructError, constructPathOf, friendlyName, referencedLogicalId, resourcesOfType } from './template';

/** How Lambda handles a function's asynchronous invocations (`AWS::Lambda::EventInvokeConfig`). */
export interface AsyncInvokeSettings {
  /** `MaximumRetryAttempts`: retries after a function error, 0..2. */
  readonly maxRetryAttempts: number;
  /** `MaximumEventAgeInSeconds`: how long an event may wait for an attempt. */
  readonly maxEventAgeSeconds: number;
  /** `DestinationConfig.OnFailure`: the logical id of the SQS queue that receives the invocation record of a failed event, if any. */
  readonly onFailureQueueLogicalId?: string;
}

/** Lambda's defaults for a function without an `EventInvokeConfig`: 2 retries, 6 hours, no destination. */
export const DEFAULT_ASYNC_INVOKE: AsyncInvokeSettings = { maxRetryAttempts: 2, maxEventAgeSeconds: 21_600 };

/** An `AWS::Lambda::Function` as the local runtime needs it. */
export interface FunctionModel {
  readonly logicalId: string;
  /** Its construct id in kebab case (`place-order`): logs, `/_local/functions/{name}/invoke`, `Ref`. */
  readonly name: string;
  readonly constructPath?: string;
  /** The bundle `cdk synth` wrote (`aws:asset:path`) and the export `Handler` names. */
  readonly file: string;
  readonly exportName: string;
  /** `Environment.Variables`, intrinsics resolved. */
  readonly environment: Record<string, string>;
  /** `Timeout`, in ms. */
  readonly timeoutMs: number;
  /** `MemorySize`. */
  readonly memoryMb: number;
  /** `ReservedConcurrentExecutions`: the most environments at once. @default - LOCAL_CONCURRENCY locally */
  readonly reservedConcurrency?: number;
  /** Its `EventInvokeConfig`, or Lambda's defaults. */
  readonly asyncInvoke: AsyncInvokeSettings;
}

/** Every function of the template, pointing at the bundle `cdk synth` wrote for it. */
export const functionsOf = (template: CfnTemplate, assemblyDir: string, resolve: Resolve): FunctionModel[] => {
  const asyncSettings = asyncInvokeSettingsOf(template);
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      throw new Error(`Function ${logicalId} has no bundled asset; synthesize with bundling (cdk synth).`);
    }
    const [fileName, exportName] = String(props.Handler ?? 'index.handler').split('.') as [string, string];
    const variables = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const constructPath = constructPathOf(resource);
    return {
      logicalId,
      name: friendlyName(resource, logicalId),
      ...(constructPath === undefined ? {} : { constructPath }),
      file: path.join(assemblyDir, assetPath, `${fileName}.js`),
      exportName,
      environment: Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [name, resolve(value, `function ${logicalId}, variable ${name}`)]),
      ),
      timeoutMs: Number(props.Timeout ?? 3) * 1000,
      memoryMb: Number(props.MemorySize ?? 128),
      ...(Number.isInteger(Number(props.ReservedConcurrentExecutions ?? 'none')) ? { reservedConcurrency: Number(props.ReservedConcurrentExecutions) } : {}),
      asyncInvoke: asyncSettings.get(logicalId) ?? DEFAULT_ASYNC_INVOKE,
    };
  });
};

/** Each function's asynchronous-invocation settings by its logical id; functions without one get `DEFAULT_ASYNC_INVOKE`. */
export const asyncInvokeSettingsOf = (template: CfnTemplate): Map<string, AsyncInvokeSettings> => {
  const settings = new Map<string, AsyncInvokeSettings>();
  for (const [, resource] of resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig')) {
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

/**
 * Every event source mapping of the template, with Lambda's defaults for what it leaves out. The
 * local stack polls DynamoDB streams only: a mapping on any other source (SQS, Kinesis, Kafka) is
 * refused, naming it.
 */
export const streamMappingsOf = (template: CfnTemplate): StreamMappingSettings[] =>
  resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const source = props.EventSourceArn as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const tableLogicalId = source?.['Fn::GetAtt']?.[1] === 'StreamArn' ? source['Fn::GetAtt'][0] : undefined;
    if (tableLogicalId === undefined || template.Resources[tableLogicalId]?.Type !== 'AWS::DynamoDB::Table') {
      throw new UnsupportedConstructError(
        `Event source mapping ${logicalId} reads ${JSON.stringify(props.EventSourceArn ?? null)}; the local stack polls the streams of this template's DynamoDB tables only. Run this mapping on AWS.`,
      );
    }
    const functionLogicalId = referencedLogicalId(props.FunctionName);
    if (functionLogicalId === undefined || template.Resources[functionLogicalId]?.Type !== 'AWS::Lambda::Function') {
      throw new UnsupportedConstructError(`Event source mapping ${logicalId} invokes ${JSON.stringify(props.FunctionName ?? null)}, not a function of this template.`);
    }
    const filters = ((props.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? []).map((filter, index) => {
      const where = `Event source mapping ${logicalId}, FilterCriteria.Filters[${index}]`;
      let pattern: unknown;
      try {
        pattern = JSON.parse(filter.Pattern) as unknown;
      } catch (error: unknown) {
        throw new InvalidEventPatternError(where, [`not JSON (${error instanceof Error ? error.message : String(error)})`]);
      }
      const problems = eventPatternProblems(pattern, LAMBDA_FILTER_CHECK);
      if (problems.length > 0) throw new InvalidEventPatternError(where, problems);
      return pattern as EventPattern;
    });
    const destination = referencedLogicalId((props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination);
    return {
      functionLogicalId,
      tableLogicalId,
      batchSize: (props.BatchSize as number | undefined) ?? 100,
      maxBatchingWindowMs: ((props.MaximumBatchingWindowInSeconds as number | undefined) ?? 0) * 1000,
      filters,
      reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
      bisectBatchOnFunctionError: props.BisectBatchOnFunctionError === true,
      maxRetryAttempts: (props.MaximumRetryAttempts as number | undefined) ?? -1,
      maxRecordAgeSeconds: (props.MaximumRecordAgeInSeconds as number | undefined) ?? -1,
      ...(destination === undefined ? {} : { onFailureQueueLogicalId: destination }),
    };
  });
