/**
 * EventBridge rules and their Lambda targets, and scheduled rules
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html). An event that
 * matches a rule's pattern (pattern.ts) on its bus goes to each target; a schedule
 * (schedule.ts) sends the scheduled event. EventBridge invokes a Lambda target asynchronously:
 * once Lambda has queued the event, its retries and on-failure destination are the function's
 * EventInvokeConfig (lambda/async-invocations.ts). The target's `RetryPolicy` and
 * `DeadLetterConfig` cover only failures to deliver the event to Lambda
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html): retried with
 * back-off (short local waits) within `MaximumRetryAttempts` and `MaximumEventAgeInSeconds`
 * (the age measured on a nominal AWS clock, see `nominalRetryDelaySeconds`),
 * except errors EventBridge never retries, then the event to the dead-letter queue with its
 * `RULE_ARN`, `TARGET_ARN`, `ERROR_CODE` and `ERROR_MESSAGE` attributes.
 */
import { randomUUID } from 'node:crypto';
import { type EventPattern, matchesPattern } from './pattern';
import type { RuleModel } from '../model/events';
import { LOCAL_ACCOUNT, LOCAL_REGION, localFunctionArn, localRuleArn } from '../model/template';
import { type Schedule, parseSchedule } from './schedule';
import { type DeliveredEvent, eventTime } from './bus';
import type { LocalEvents } from './index';

export interface LocalRuleTarget {
  readonly functionName: string;
  readonly functionLogicalId: string;
  readonly input?: unknown;
  /**
   * The target's retry policy (`RetryPolicy.MaximumRetryAttempts`, `MaximumEventAgeInSeconds`)
   * and dead-letter queue, as the template has them. They cover failures to deliver the event
   * to Lambda: a function error is retried per the function's EventInvokeConfig.
   */
  readonly maxRetryAttempts: number;
  readonly maxEventAgeSeconds: number;
  readonly deadLetterQueue?: string;
}

export interface LocalRule {
  readonly logicalId: string;
  readonly eventBusName?: string;
  readonly pattern?: EventPattern;
  readonly schedule?: Schedule;
  readonly targets: readonly LocalRuleTarget[];
}

/** Why Lambda did not take an event (none: it is queued). */
export type AsyncInvoker = (functionLogicalId: string, payload: unknown) => { readonly code: string; readonly message: string } | undefined;

export interface LocalRulesOptions {
  readonly rules: readonly RuleModel[];
  /** The bus's accepted events (index.ts). */
  readonly events: Pick<LocalEvents, 'onAccepted'>;
  /** A function's local name by logical id. */
  readonly functionName: (logicalId: string) => string;
  readonly invokeAsync: AsyncInvoker;
  readonly log: (line: string) => void;
  /** A message for a local queue (a target's dead-letter queue), with its `String` message attributes. */
  readonly sendToQueue: (queueLogicalId: string, body: unknown, attributes: Readonly<Record<string, string>>) => void;
  /**
   * The local waits before each delivery retry, short so that the local stack moves on. The age
   * check does not use them: see `nominalRetryDelaySeconds`. @default [100, 200, 400] ms
   */
  readonly retryDelaysMs?: readonly number[];
}

/**
 * The wait EventBridge makes before delivery retry `n` (1-based), in seconds, for the event-age
 * check. EventBridge documents only the envelope: by default it "retries sending the event for
 * 24 hours and up to 185 times with an exponential back off and jitter"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html). Our model
 * without the jitter: doubling from 1 s, capped at 488 s, which is the cap at which 185 retries fill
 * those 24 hours (1 + 2 + ... + 256 = 511 s, then 176 x 488 s). An event's age is the wall time
 * since its first delivery plus these waits, so `MaximumEventAgeInSeconds` takes effect locally
 * as on AWS although the local waits are milliseconds.
 */
const nominalRetryDelaySeconds = (retry: number): number => Math.min(2 ** (retry - 1), 488);

export interface LocalRules {
  readonly rules: readonly LocalRule[];
  /** The event a schedule sends its targets. */
  scheduledEvent(ruleLogicalId: string): DeliveredEvent;
  close(): void;
}

/** Errors EventBridge does not retry: the event goes to the dead-letter queue at once. */
const NOT_RETRIED = new Set(['ResourceNotFoundException', 'RequestTooLargeException', 'AccessDeniedException']);

export const startLocalRules = (options: LocalRulesOptions): LocalRules => {
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const after = (ms: number, run: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) run();
    }, ms);
    timers.add(timer);
  };
  const rules: LocalRule[] = options.rules.map((rule) => ({
    logicalId: rule.logicalId,
    ...(rule.eventBusName === undefined ? {} : { eventBusName: rule.eventBusName }),
    ...(rule.eventPattern === undefined ? {} : { pattern: rule.eventPattern }),
    ...(rule.scheduleExpression === undefined ? {} : { schedule: parseSchedule(rule.scheduleExpression) }),
    targets: rule.targets.map((target) => ({
      functionName: options.functionName(target.functionLogicalId),
      functionLogicalId: target.functionLogicalId,
      ...(target.input === undefined ? {} : { input: target.input }),
      maxRetryAttempts: target.retryPolicy.maximumRetryAttempts,
      maxEventAgeSeconds: target.retryPolicy.maximumEventAgeInSeconds,
      ...(target.deadLetterQueueLogicalId === undefined ? {} : { deadLetterQueue: target.deadLetterQueueLogicalId }),
    })),
  }));
  const delays = options.retryDelaysMs ?? [100, 200, 400];

  const deliver = (rule: LocalRule, target: LocalRuleTarget, event: DeliveredEvent, attempt = 1, firstAt = Date.now(), nominalWaitedMs = 0): void => {
    const refusal = options.invokeAsync(target.functionLogicalId, target.input ?? event);
    if (refusal === undefined) return;
    const delay = delays[Math.min(attempt - 1, delays.length - 1)] ?? 0;
    const nominalDelayMs = nominalRetryDelaySeconds(attempt) * 1000;
    const ageAtRetryMs = Date.now() - firstAt + nominalWaitedMs + nominalDelayMs;
    const retry = !NOT_RETRIED.has(refusal.code) && attempt <= target.maxRetryAttempts && ageAtRetryMs <= target.maxEventAgeSeconds * 1000;
    if (retry) {
      after(delay, () => deliver(rule, target, event, attempt + 1, firstAt, nominalWaitedMs + nominalDelayMs));
      return;
    }
    const queue = target.deadLetterQueue;
    options.log(
      `rule   ${rule.logicalId} gave up on ${target.functionName} after ${attempt} attempts (${refusal.code}): ${refusal.message}${queue === undefined ? '' : ` -> ${queue}`}`,
    );
    if (queue === undefined) return;
    options.sendToQueue(queue, event, {
      RULE_ARN: localRuleArn(rule.logicalId),
      TARGET_ARN: localFunctionArn(target.functionName),
      ERROR_CODE: refusal.code,
      ERROR_MESSAGE: refusal.message,
    });
  };

  options.events.onAccepted((accepted) => {
    if (closed) return;
    for (const rule of rules) {
      if (rule.pattern !== undefined && (rule.eventBusName ?? 'default') === accepted.eventBusName && matchesPattern(rule.pattern, accepted.event)) {
        for (const target of rule.targets) deliver(rule, target, accepted.event);
      }
    }
  });

  for (const rule of rules) {
    const schedule = rule.schedule;
    if (schedule === undefined) continue;
    const arm = (from: Date): void => {
      const next = schedule.next(from);
      after(Math.max(0, next.getTime() - Date.now()), () => {
        for (const target of rule.targets) deliver(rule, target, scheduledEvent(rule.logicalId));
        arm(next);
      });
    };
    arm(new Date());
  }

  return {
    rules,
    scheduledEvent,
    close: () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
};

const scheduledEvent = (ruleLogicalId: string): DeliveredEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: LOCAL_ACCOUNT,
  time: eventTime(new Date()),
  region: LOCAL_REGION,
  resources: [localRuleArn(ruleLogicalId)],
  detail: {},
});
