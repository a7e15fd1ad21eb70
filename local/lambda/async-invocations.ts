/**
 * Lambda's asynchronous invocation (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html):
 * `InvocationType: 'Event'` and every EventBridge rule target. Lambda queues the event, answers at
 * once, and retries a function error per the function's `EventInvokeConfig`
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):
 * `MaximumRetryAttempts` (0..2, default 2; about 1 then 2 minutes apart, shortened here),
 * `MaximumEventAgeInSeconds` (default 6 h; measured on a nominal AWS clock that counts those
 * 1 and 2 minutes, so it takes effect as on AWS despite the short local waits), then the invocation record to the on-failure
 * destination (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 */
import { randomUUID } from 'node:crypto';
import type { AsyncInvokeSettings } from '../model/lambda';
import { localFunctionArn } from '../model/template';
import { type LocalFunction, failureOf } from './functions';

/** What Lambda sends to the on-failure destination of an asynchronous invocation it gave up on. */
export interface AsyncInvocationRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetriesExhausted' | 'EventAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: { readonly statusCode: 200; readonly executedVersion: '$LATEST'; readonly functionError?: 'Unhandled' };
  readonly responsePayload?: { readonly errorType: string; readonly errorMessage: string };
}

export interface AsyncInvocationsOptions {
  /** The function's `EventInvokeConfig`, or Lambda's defaults. */
  readonly settingsOf: (fn: LocalFunction) => AsyncInvokeSettings;
  /** Lambda gave up on an event: its record goes to the on-failure destination, when there is one. */
  readonly onFailure: (fn: LocalFunction, record: AsyncInvocationRecord, queueLogicalId: string | undefined) => void;
  /**
   * The local wait before each retry, short so that tests and the local stack move on. The age
   * check does not use it: see `nominalRetryDelaysSeconds`. @default [100, 200] ms
   */
  readonly retryDelaysMs?: readonly number[];
  /**
   * The waits Lambda makes before each retry on AWS ("retries ... with one minute between the
   * first two attempts, and two minutes between the second and third", invocation-async-error-handling).
   * An event's age for `MaximumEventAgeInSeconds` is the wall time since it was queued plus these
   * nominal waits, so the setting takes effect locally as it does on AWS although the local waits
   * are milliseconds. @default [60, 120] s
   */
  readonly nominalRetryDelaysSeconds?: readonly number[];
}

/**
 * Lambda's asynchronous invocation (`InvocationType: 'Event'`, and every EventBridge rule target):
 * accepted at once, run in the background, retried on a function error per the function's
 * `EventInvokeConfig` (`MaximumRetryAttempts`, `MaximumEventAgeInSeconds`), then the invocation
 * record to its on-failure destination, or dropped when it has none.
 */
export class AsyncInvocations {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  public constructor(private readonly options: AsyncInvocationsOptions) {}

  /** Queues one event for `fn`; returns the request id the attempts share. */
  public invoke(fn: LocalFunction, payload: unknown): string {
    const requestId = randomUUID();
    const queuedAt = Date.now();
    const settings = this.options.settingsOf(fn);
    const delays = this.options.retryDelaysMs ?? [100, 200];
    const nominalDelays = this.options.nominalRetryDelaysSeconds ?? [60, 120];
    let nominalWaitedMs = 0;
    const attempt = async (count: number): Promise<void> => {
      if (this.stopped) return;
      try {
        await fn.invoke(payload);
        return;
      } catch (error: unknown) {
        if (this.stopped) return;
        const failure = failureOf(error);
        const delay = delays[Math.min(count - 1, delays.length - 1)] ?? 0;
        const nominalDelayMs = (nominalDelays[Math.min(count - 1, nominalDelays.length - 1)] ?? 0) * 1000;
        // The retry would run at this age on AWS; at or past the maximum age Lambda drops the event
        // (MaximumEventAgeInSeconds 60 with the first retry a minute later: one attempt, EventAgeExceeded).
        const ageAtRetryMs = Date.now() - queuedAt + nominalWaitedMs + nominalDelayMs;
        const condition =
          count > settings.maxRetryAttempts ? 'RetriesExhausted'
          : ageAtRetryMs >= settings.maxEventAgeSeconds * 1000 ? 'EventAgeExceeded'
          : undefined;
        if (condition === undefined) {
          nominalWaitedMs += nominalDelayMs;
          this.after(delay, () => attempt(count + 1));
          return;
        }
        this.options.onFailure(
          fn,
          {
            version: '1.0',
            timestamp: new Date().toISOString(),
            requestContext: { requestId, functionArn: `${localFunctionArn(fn.spec.name)}:$LATEST`, condition, approximateInvokeCount: count },
            requestPayload: payload,
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
            responsePayload: failure,
          },
          settings.onFailureQueueLogicalId,
        );
      }
    };
    this.after(0, () => attempt(1));
    return requestId;
  }

  /** Drops every event still waiting for an attempt; nothing runs after this. */
  public stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private after(ms: number, run: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    this.timers.add(timer);
  }
}

