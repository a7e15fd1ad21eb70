/** The options of a stream poller (stream-poller.ts), named after the event source mapping's settings, and what it reports. */
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { EventPattern } from '../events/pattern';

/** What Lambda sends to a stream mapping's on-failure destination: metadata, never the records. */
export interface StreamFailureMetadata {
  readonly requestContext: { readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'; readonly approximateInvokeCount: number };
  readonly responseContext: { readonly functionError?: string };
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined | void>;

export interface StreamPollerOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly handler: StreamHandler;
  /** @default 100 */
  readonly batchSize?: number;
  /** How long to gather records for a batch that is not full. @default 0 */
  readonly maxBatchingWindowMs?: number;
  /** Records matching none of these are dropped before the function, as Lambda does. @default - all pass */
  readonly filters?: readonly EventPattern[];
  /** @default false */
  readonly reportBatchItemFailures?: boolean;
  /** @default false */
  readonly bisectBatchOnFunctionError?: boolean;
  /** Retries of a failing batch before it goes to the failure destination; -1 is unlimited. @default -1 */
  readonly maxRetryAttempts?: number;
  /** Records older than this go to the failure destination instead of the function; -1 is unlimited. @default -1 */
  readonly maxRecordAgeSeconds?: number;
  /** The on-failure destination. @default - none: the batch is dropped */
  readonly onFailure?: (metadata: StreamFailureMetadata) => Promise<void> | void;
  /** @default 250 ms */
  readonly pollIntervalMs?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Called when an invocation throws; the poller treats it as a function error. */
  readonly onFunctionError?: (error: unknown) => void;
  /** Where to resume each shard: the last sequence number done, as `onCheckpoint` reported it. @default - TRIM_HORIZON */
  readonly checkpoints?: Readonly<Record<string, string>>;
  /** Called when every record of a shard up to `sequenceNumber` is done. */
  readonly onCheckpoint?: (shardId: string, sequenceNumber: string) => void;
}

export interface StreamPollerStats {
  invocations: number;
  delivered: number;
  filteredOut: number;
  functionErrors: number;
  partialFailures: number;
  sentToFailureDestination: number;
}

