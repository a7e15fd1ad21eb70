import { setTimeout as sleep } from 'node:timers/promises';
import { BatchExecuteStatementCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachBounded } from '../lambdas/outbox/concurrency';
import type { MarkOutcome, OutboxKey } from '../lambdas/outbox/marker';

export interface PartiqlMarkerOptions {
  readonly tableName: string;
  /** How long a published item is kept before TTL removes it. @default 7 days */
  readonly retentionSeconds?: number;
  /** `BatchExecuteStatement` calls in flight at once (25 marks each). @default 4 */
  readonly concurrency?: number;
  /**
   * Attempts per mark whose statement failed with a retryable code (throttled, conflict, internal
   * error); the SDK retries a failed call, never a failed statement of a successful one. @default 3
   */
  readonly maxAttempts?: number;
  /** First backoff between attempts (full jitter, doubling). @default 50 ms */
  readonly baseDelayMs?: number;
}

/** Statement error codes worth another attempt (DynamoDB's `BatchStatementErrorCodeEnum`). */
const RETRYABLE_STATEMENT_ERRORS = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
  'InternalServerError',
  'TransactionConflict',
]);

/** DynamoDB's limit of statements in one `BatchExecuteStatement` call. */
export const MARKS_PER_CALL = 25;

/**
 * A relay mark design measured and set aside, kept for `npm run bench -- --only relay`: 25
 * conditional PartiQL updates per `BatchExecuteStatement` (each judged alone, billed as an
 * `UpdateItem`). In isolation on in-memory DynamoDB Local it marks ~1.3x faster than one
 * `UpdateItem` each; in the local stack under load (on disk, commands and projector writing) its
 * marks took 10-18 s a batch against 2-5 s for `UpdateItem`s, so the relay keeps `OutboxMarker`.
 */
export class PartiqlMarker {
  private readonly retentionSeconds: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly statement: string;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    options: PartiqlMarkerOptions,
  ) {
    this.retentionSeconds = options.retentionSeconds ?? 7 * 24 * 60 * 60;
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.statement =
      `UPDATE "${options.tableName.replaceAll('"', '""')}" SET "status" = 'PUBLISHED' SET "publishedAt" = ? SET "expiresAt" = ? ` +
      `REMOVE "pendingShard" REMOVE "pendingSince" WHERE "aggregateId" = ? AND "version" = ? AND "status" = 'PENDING'`;
  }

  public async markPublished(
    keys: readonly OutboxKey[],
    publishedAt: Date,
    onError: (key: OutboxKey, error: unknown) => void = () => undefined,
  ): Promise<MarkOutcome> {
    const outcome = { marked: 0, alreadyMarked: 0, failed: 0 };
    const expiresAt = Math.floor(publishedAt.getTime() / 1000) + this.retentionSeconds;
    // One call may not name an item twice (DynamoDB refuses the whole call): a repeat is a duplicate delivery.
    const seen = new Set<string>();
    const distinct = keys.filter((key) => {
      const id = `${key.version}#${key.aggregateId}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    outcome.alreadyMarked += keys.length - distinct.length;
    const chunks: OutboxKey[][] = [];
    for (let i = 0; i < distinct.length; i += MARKS_PER_CALL) chunks.push(distinct.slice(i, i + MARKS_PER_CALL));
    await forEachBounded(chunks, this.concurrency, async (chunk) => {
      let todo = chunk;
      for (let attempt = 1; todo.length > 0; attempt++) {
        if (attempt > 1) await sleep(Math.floor(Math.random() * this.baseDelayMs * 2 ** (attempt - 2)));
        const retry: OutboxKey[] = [];
        const last = attempt >= this.maxAttempts;
        try {
          const { Responses = [] } = await this.client.send(
            new BatchExecuteStatementCommand({
              Statements: todo.map((key) => ({
                Statement: this.statement,
                Parameters: [publishedAt.toISOString(), expiresAt, key.aggregateId, key.version],
              })),
            }),
          );
          todo.forEach((key, index) => {
            const response = Responses[index];
            const error = response?.Error;
            if (response === undefined) {
              outcome.failed += 1;
              onError(key, new MarkStatementError('NoResponse', 'BatchExecuteStatement returned no answer for this statement.'));
            } else if (error === undefined) {
              outcome.marked += 1;
            } else if (error.Code === 'ConditionalCheckFailed') {
              outcome.alreadyMarked += 1;
            } else if (!last && RETRYABLE_STATEMENT_ERRORS.has(error.Code ?? '')) {
              retry.push(key);
            } else {
              outcome.failed += 1;
              onError(key, new MarkStatementError(error.Code ?? 'Unknown', error.Message ?? ''));
            }
          });
        } catch (error: unknown) {
          // The whole call failed after the SDK's own retries (throttled, network, denied): every mark of it stays undone.
          for (const key of todo) {
            outcome.failed += 1;
            onError(key, error);
          }
        }
        todo = retry;
      }
    });
    return outcome;
  }
}

/** One statement of a `BatchExecuteStatement` refused, with DynamoDB's code for it. */
export class MarkStatementError extends Error {
  public constructor(
    public readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'MarkStatementError';
  }
}
