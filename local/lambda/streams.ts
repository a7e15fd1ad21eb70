/**
 * Lambda's event source mappings on DynamoDB streams
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html): one poller per mapping of the
 * template (stream-poller.ts has the polling itself), its failure metadata to the mapping's
 * on-failure queue, and a checkpoint per shard, kept in the data folder so a restarted stack
 * resumes where it left off, as a mapping does.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { TableModel } from '../model/dynamodb';
import type { StreamMappingSettings } from '../model/lambda';
import { LOCAL_REGION } from '../model/template';
import type { LocalFunction } from './functions';
import { StreamPoller } from './stream-poller';

export interface StreamPollersOptions {
  readonly mappings: readonly StreamMappingSettings[];
  readonly tables: readonly TableModel[];
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly functionOf: (logicalId: string) => LocalFunction;
  /** Where `stream-checkpoints.json` lives. @default - in memory */
  readonly dataDir?: string;
  readonly pollIntervalMs: number;
  readonly log: (line: string) => void;
  readonly sendToQueue: (queueLogicalId: string, message: unknown) => void;
  /** Called with each batch before the function gets it (fault injection). @default - none */
  readonly beforeBatch?: (mapping: StreamMappingSettings, event: DynamoDBStreamEvent) => void;
}

export interface MappedPoller {
  readonly functionName: string;
  readonly functionLogicalId: string;
  readonly poller: StreamPoller;
}

/** Starts a poller per mapping, each resuming from its checkpoints. */
export const startStreamPollers = async (options: StreamPollersOptions): Promise<MappedPoller[]> => {
  const { log } = options;
  const checkpointFile = options.dataDir === undefined ? undefined : path.join(options.dataDir, 'stream-checkpoints.json');
  const checkpoints: Record<string, Record<string, string>> =
    checkpointFile !== undefined && existsSync(checkpointFile) ? (JSON.parse(readFileSync(checkpointFile, 'utf8')) as never) : {};
  const pollers: MappedPoller[] = [];
  try {
    for (const mapping of options.mappings) pollers.push(await startPoller(mapping));
  } catch (error: unknown) {
    await Promise.all(pollers.map(({ poller }) => poller.stop()));
    throw error;
  }
  return pollers;

  async function startPoller(mapping: StreamMappingSettings): Promise<MappedPoller> {
    const fn = options.functionOf(mapping.functionLogicalId);
    const tableName = options.tables.find((table) => table.logicalId === mapping.tableLogicalId)?.tableName;
    const { Table } = await options.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const streamArn = Table?.LatestStreamArn;
    if (streamArn === undefined) throw new Error(`Table ${tableName} has no stream for ${fn.spec.name}.`);
    const key = `${mapping.tableLogicalId}->${mapping.functionLogicalId}`;
    const poller = new StreamPoller({
      client: options.streams,
      streamArn,
      region: LOCAL_REGION,
      batchSize: mapping.batchSize,
      maxBatchingWindowMs: mapping.maxBatchingWindowMs,
      filters: mapping.filters,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      bisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
      maxRetryAttempts: mapping.maxRetryAttempts,
      maxRecordAgeSeconds: mapping.maxRecordAgeSeconds,
      pollIntervalMs: options.pollIntervalMs,
      handler: async (event) => {
        options.beforeBatch?.(mapping, event);
        return (await fn.invoke(event)) as DynamoDBBatchResponse | undefined;
      },
      onFunctionError: (error) => log(`stream ${fn.spec.name} failed: ${error instanceof Error ? error.message : String(error)}`),
      onFailure: (metadata) => {
        const queue = mapping.onFailureQueueLogicalId;
        log(`stream ${fn.spec.name} gave up on ${metadata.DDBStreamBatchInfo.batchSize} records (${metadata.requestContext.condition})`);
        if (queue !== undefined) options.sendToQueue(queue, metadata);
      },
      checkpoints: checkpoints[key] ?? {},
      onCheckpoint: (shardId, sequenceNumber) => {
        checkpoints[key] = { ...checkpoints[key], [shardId]: sequenceNumber };
        if (checkpointFile !== undefined) writeFileSync(checkpointFile, JSON.stringify(checkpoints));
      },
    });
    poller.start();
    return { functionName: fn.spec.name, functionLogicalId: mapping.functionLogicalId, poller };
  }
};
