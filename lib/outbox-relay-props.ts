import { Duration } from 'aws-cdk-lib';
import { DEFAULT_MAX_REQUEST_BYTES } from '../lambdas/outbox/entries';
import { requireDuration, requireInteger } from './prop-checks';

/** The relay's settings: how it reads the stream and how it publishes. */
export interface OutboxRelayProps {
  /**
   * Stream records per invocation (1..1000, the most Lambda takes from a DynamoDB stream).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking with a batch that is not full.
   * @default - none: invoke as soon as records arrive
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch before its metadata goes to the failure queue (0..10000).
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this skip the relay and go to the failure queue (1 minute..7 days); the
   * items stay pending for the reconciler. Bounds how long a poison record can hold its shard.
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard. Only 1 is accepted: Lambda keeps records in order per *item*,
   * and every outbox version is an item of its own, so above 1 versions v and v+1 of one
   * aggregate could be published at once, and a parked v could be overtaken by v+1.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * The `PutEvents` request size limit the relay packs to, counted as EventBridge counts it.
   * @default 262144 (256 KB; AWS allows 1 MB since 2026)
   */
  readonly maxRequestBytes?: number;
  /**
   * `PutEvents` calls in flight at once per invocation.
   * @default 4
   */
  readonly publishConcurrency?: number;
  /**
   * Attempts for an entry that keeps failing with a retryable code, the first included.
   * @default 5
   */
  readonly publishMaxAttempts?: number;
  /**
   * How long a published item stays in the outbox before TTL removes it (at least 1 day).
   * @default Duration.days(7)
   */
  readonly publishedRetention?: Duration;
}

export interface ResolvedRelayProps {
  readonly batchSize: number;
  readonly maxBatchingWindow?: Duration;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration;
  readonly parallelizationFactor: number;
  readonly maxRequestBytes: number;
  readonly publishConcurrency: number;
  readonly publishMaxAttempts: number;
  readonly publishedRetention: Duration;
}

/** The relay props with their defaults, checked: a value out of range stops synth. */
export const resolveRelayProps = (props: OutboxRelayProps): ResolvedRelayProps => {
  const resolved: ResolvedRelayProps = {
    batchSize: props.batchSize ?? 100,
    ...(props.maxBatchingWindow === undefined ? {} : { maxBatchingWindow: props.maxBatchingWindow }),
    retryAttempts: props.retryAttempts ?? 10,
    maxRecordAge: props.maxRecordAge ?? Duration.hours(1),
    parallelizationFactor: props.parallelizationFactor ?? 1,
    maxRequestBytes: props.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    publishConcurrency: props.publishConcurrency ?? 4,
    publishMaxAttempts: props.publishMaxAttempts ?? 5,
    publishedRetention: props.publishedRetention ?? Duration.days(7),
  };
  requireOutboxInteger('relay.batchSize', resolved.batchSize, 1, 1000, 'Lambda takes at most 1,000 records a batch from a DynamoDB stream; the default is 100.');
  requireOutboxInteger('relay.retryAttempts', resolved.retryAttempts, 0, 10_000, 'Unlimited retries would let one poison record hold its shard; the default is 10.');
  requireOutboxInteger(
    'relay.parallelizationFactor',
    resolved.parallelizationFactor,
    1,
    1,
    'Lambda orders stream records per item and every outbox version is its own item, so above 1 two versions of one aggregate could be published at once, out of order. Raise pendingIndexShards and batchSize for throughput instead.',
  );
  requireOutboxInteger('relay.maxRequestBytes', resolved.maxRequestBytes, 1024, 1024 * 1024, 'EventBridge takes at most 1 MB a request; the default is 262144.');
  requireOutboxInteger('relay.publishConcurrency', resolved.publishConcurrency, 1, 50, 'The default is 4.');
  requireOutboxInteger('relay.publishMaxAttempts', resolved.publishMaxAttempts, 1, 20, 'The default is 5.');
  requireDuration('TransactionalOutbox', 'relay.maxRecordAge', resolved.maxRecordAge, { min: Duration.minutes(1), max: Duration.days(7) }, 'The default is 1 hour.');
  requireDuration('TransactionalOutbox', 'relay.publishedRetention', resolved.publishedRetention, { min: Duration.days(1) }, 'The default is 7 days.');
  return resolved;
};

/** `requireInteger` for the `TransactionalOutbox` construct's props. */
export const requireOutboxInteger = (name: string, value: number, min: number, max: number, hint: string): void =>
  requireInteger('TransactionalOutbox', name, value, min, max, hint);
