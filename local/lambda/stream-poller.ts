/**
 * A Lambda event source mapping on a DynamoDB stream (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html,
 * its error handling: https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 * and its filtering: https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { matchesPattern } from '../events/pattern';
import type { StreamFailureMetadata, StreamPollerOptions, StreamPollerStats } from './stream-poller-options';
import { lowestReported, toLambdaRecord } from './stream-records';

export type { StreamFailureMetadata, StreamHandler, StreamPollerOptions, StreamPollerStats } from './stream-poller-options';

interface ShardState {
  readonly shardId: string;
  iterator: string | undefined;
  /** The last sequence number read from the shard, to take a fresh iterator after it. */
  lastRead: string | undefined;
  closed: boolean;
  readonly buffer: DynamoDBRecord[];
}

/**
 * Polls a DynamoDB (Local) stream and invokes a handler the way a Lambda event source mapping
 * does: shards in parent-before-child order, records in order per shard, filter criteria, batch
 * size and window, the partial batch response (resume from the lowest reported sequence
 * number), bisection on function errors, bounded retries and record age, and an on-failure
 * destination that receives metadata only.
 */
export class StreamPoller {
  public readonly stats: StreamPollerStats = {
    invocations: 0,
    delivered: 0,
    filteredOut: 0,
    functionErrors: 0,
    partialFailures: 0,
    sentToFailureDestination: 0,
  };
  private readonly shards = new Map<string, ShardState>();
  private readonly finished = new Set<string>();
  private running: Promise<void> | undefined;
  private describedAt = 0;
  private stopping = false;
  private paused = false;

  public constructor(private readonly options: StreamPollerOptions) {}

  /** Polls in the background until `stop()`. */
  public start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    this.running = (async () => {
      while (!this.stopping) {
        let fetched = 0;
        if (!this.paused) {
          try {
            fetched = await this.pollOnce();
          } catch (error: unknown) {
            this.options.onFunctionError?.(error);
          }
        }
        // While records flow, poll again at once; when the stream is idle, wait a poll interval.
        if (fetched === 0) await sleep(this.options.pollIntervalMs ?? 250);
      }
    })();
  }

  public async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.running = undefined;
  }

  /** While paused, records wait in the stream, as they do behind a disabled mapping. */
  public setPaused(paused: boolean): void {
    this.paused = paused;
  }

  public get isPaused(): boolean {
    return this.paused;
  }

  /** Polls until the stream has had nothing new for `quietPolls` polls in a row. */
  public async drain(options: { quietPolls?: number; timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let quiet = 0;
    while (quiet < (options.quietPolls ?? 3)) {
      if (Date.now() > deadline) throw new Error('The stream did not go quiet in time.');
      quiet = (await this.pollOnce()) === 0 ? quiet + 1 : 0;
      if (quiet > 0) await sleep(this.options.pollIntervalMs ?? 100);
    }
  }

  /** One pass over every open shard: fetch, filter, batch, invoke. Returns the records fetched. */
  public async pollOnce(): Promise<number> {
    await this.discoverShards();
    let fetched = 0;
    for (const shard of this.shards.values()) {
      if (this.finished.has(shard.shardId) || this.paused) continue;
      fetched += await this.fill(shard);
      // A pause takes effect at once: what was read waits in the buffer, nothing more is invoked.
      while (shard.buffer.length > 0 && !this.paused) {
        const batch = shard.buffer.slice(0, this.options.batchSize ?? 100);
        await this.deliver(shard.shardId, batch, 0);
        shard.buffer.splice(0, batch.length);
        const last = batch.at(-1)?.dynamodb?.SequenceNumber;
        if (last !== undefined) this.options.onCheckpoint?.(shard.shardId, last);
      }
      if (shard.closed && shard.buffer.length === 0) this.finished.add(shard.shardId);
      if (this.paused) break;
    }
    return fetched;
  }

  private async discoverShards(): Promise<void> {
    // New shards appear rarely (splits, rollovers); describing the stream on every poll costs.
    if (this.shards.size > 0 && Date.now() - this.describedAt < 2000) return;
    this.describedAt = Date.now();
    const all: Shard[] = [];
    let start: string | undefined;
    do {
      const page = await this.options.client.send(
        new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: start }),
      );
      all.push(...(page.StreamDescription?.Shards ?? []));
      start = page.StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
    const known = new Set(all.map((shard) => shard.ShardId));
    for (const shard of all) {
      const id = shard.ShardId;
      if (id === undefined || this.shards.has(id)) continue;
      const parent = shard.ParentShardId;
      // A child waits until its parent is read to the end, so per-item order holds across splits.
      if (parent !== undefined && known.has(parent) && !this.finished.has(parent)) continue;
      const after = this.options.checkpoints?.[id];
      const { ShardIterator } = await this.options.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.options.streamArn,
          ShardId: id,
          ...(after === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
        }),
      );
      this.shards.set(id, { shardId: id, iterator: ShardIterator, lastRead: after, closed: ShardIterator === undefined, buffer: [] });
    }
  }

  /** Reads up to a batch of matching records into the shard's buffer. */
  private async fill(shard: ShardState): Promise<number> {
    const batchSize = this.options.batchSize ?? 100;
    const windowEnds = Date.now() + (this.options.maxBatchingWindowMs ?? 0);
    let fetched = 0;
    while (!shard.closed && shard.buffer.length < batchSize) {
      let page;
      try {
        page = await this.options.client.send(
          new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: Math.min(1000, batchSize - shard.buffer.length) }),
        );
      } catch (error: unknown) {
        // An iterator can expire or point before the trim horizon (DynamoDB Local does this on an
        // empty new stream): take a fresh one where reading left off, as the Lambda poller does.
        const name = error instanceof Error ? error.name : '';
        if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
        shard.iterator = await this.freshIterator(shard);
        break;
      }
      shard.iterator = page.NextShardIterator;
      shard.closed = page.NextShardIterator === undefined;
      const records = (page.Records ?? []).map((record) => toLambdaRecord(record, this.options));
      fetched += records.length;
      shard.lastRead = records.at(-1)?.dynamodb?.SequenceNumber ?? shard.lastRead;
      const kept = records.filter((record) => this.passesFilters(record));
      this.stats.filteredOut += records.length - kept.length;
      shard.buffer.push(...kept);
      if (records.length === 0) {
        if (Date.now() >= windowEnds) break;
        await sleep(Math.min(100, windowEnds - Date.now()));
      }
    }
    return fetched;
  }

  private async freshIterator(shard: ShardState): Promise<string | undefined> {
    const { ShardIterator } = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shard.shardId,
        ...(shard.lastRead === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastRead }),
      }),
    );
    return ShardIterator;
  }

  private passesFilters(record: DynamoDBRecord): boolean {
    const filters = this.options.filters ?? [];
    return filters.length === 0 || filters.some((filter) => matchesPattern(filter, record));
  }

  /** Delivers `batch` until every record is processed or handed to the failure destination. */
  private async deliver(shardId: string, batch: DynamoDBRecord[], firstAttempt: number): Promise<void> {
    let records = batch;
    for (let attempt = firstAttempt; ; attempt++) {
      const maxAge = this.options.maxRecordAgeSeconds ?? -1;
      const oldest = records[0]?.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000;
      if (maxAge >= 0 && Date.now() / 1000 - oldest > maxAge) {
        await this.fail(shardId, records, 'RecordAgeExceeded', attempt, undefined);
        return;
      }

      this.stats.invocations += 1;
      let failedFrom: number | undefined;
      let functionError: string | undefined;
      try {
        const response = await this.options.handler({ Records: records });
        if (this.options.reportBatchItemFailures === true && response?.batchItemFailures !== undefined) {
          failedFrom = lowestReported(records, response.batchItemFailures.map((failure) => failure.itemIdentifier));
          if (failedFrom !== undefined) this.stats.partialFailures += 1;
        }
      } catch (error: unknown) {
        this.stats.functionErrors += 1;
        this.options.onFunctionError?.(error);
        functionError = error instanceof Error ? error.name : 'Unhandled';
        failedFrom = 0;
      }
      if (failedFrom === undefined) {
        this.stats.delivered += records.length;
        return;
      }
      this.stats.delivered += failedFrom;
      const rest = records.slice(failedFrom);
      if (functionError !== undefined && this.options.bisectBatchOnFunctionError === true && rest.length > 1) {
        // Split and retry each half; a bisection does not count against the retry quota.
        const half = Math.ceil(rest.length / 2);
        await this.deliver(shardId, rest.slice(0, half), attempt);
        await this.deliver(shardId, rest.slice(half), attempt);
        return;
      }
      const maxRetries = this.options.maxRetryAttempts ?? -1;
      if (maxRetries >= 0 && attempt >= maxRetries) {
        await this.fail(shardId, rest, 'RetryAttemptsExhausted', attempt + 1, functionError);
        return;
      }
      await sleep(Math.min(1000, 50 * 2 ** attempt));
      records = rest;
    }
  }

  private async fail(
    shardId: string,
    records: DynamoDBRecord[],
    condition: StreamFailureMetadata['requestContext']['condition'],
    invokeCount: number,
    functionError: string | undefined,
  ): Promise<void> {
    this.stats.sentToFailureDestination += records.length;
    const first = records[0]?.dynamodb;
    const last = records.at(-1)?.dynamodb;
    const at = (seconds: number | undefined): string => new Date((seconds ?? 0) * 1000).toISOString();
    await this.options.onFailure?.({
      requestContext: { condition, approximateInvokeCount: invokeCount },
      responseContext: functionError === undefined ? {} : { functionError },
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first?.SequenceNumber ?? '',
        endSequenceNumber: last?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: at(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: at(last?.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: this.options.streamArn,
      },
    });
  }
}
