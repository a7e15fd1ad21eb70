import { eventPatternProblems } from '../../lib/event-pattern-validation';
import { isIntrinsic } from '../../lib/event-pattern-values';
import type { EventPattern } from '../events/pattern';
import type { Resolve } from './intrinsics';
import { type CfnTemplate, UnsupportedConstructError, referencedLogicalId, resourcesOfType } from './template';

/** An event pattern in the template that EventBridge (or Lambda) would refuse at deploy. */
export class InvalidEventPatternError extends Error {
  public constructor(where: string, problems: readonly string[]) {
    super(`${where} has an event pattern that AWS refuses: ${problems.join('; ')}`);
    this.name = 'InvalidEventPatternError';
  }
}

/**
 * A pattern from the template with its intrinsic functions resolved to their local values (a
 * bus name, an account id), checked as EventBridge checks it: the local stack refuses to start
 * with a pattern AWS would refuse, naming where it is and the problem.
 */
const checkedPattern = (pattern: unknown, resolve: Resolve, where: string): EventPattern => {
  const resolved = resolveDeep(pattern, resolve, where);
  const problems = eventPatternProblems(resolved);
  if (problems.length > 0) throw new InvalidEventPatternError(where, problems);
  return resolved as EventPattern;
};

const resolveDeep = (value: unknown, resolve: Resolve, where: string): unknown => {
  if (Array.isArray(value)) return value.map((item) => resolveDeep(item, resolve, where));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (isIntrinsic(record)) return resolve(record, where);
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, resolveDeep(item, resolve, where)]));
};

/** A rule target (`Targets[]`): a Lambda function of the template, with the rule's delivery settings. */
export interface RuleTargetModel {
  readonly id: string;
  readonly functionLogicalId: string;
  /** `Input`, parsed: sent instead of the event. */
  readonly input?: unknown;
  /**
   * `RetryPolicy`, with EventBridge's defaults (185 attempts, 24 hours). It covers failures to
   * deliver the event to Lambda, not the function's errors (those follow its EventInvokeConfig).
   */
  readonly retryPolicy: { readonly maximumRetryAttempts: number; readonly maximumEventAgeInSeconds: number };
  /** `DeadLetterConfig.Arn`: the SQS queue that receives events the rule could not deliver. */
  readonly deadLetterQueueLogicalId?: string;
}

/** An enabled `AWS::Events::Rule`: an event pattern on a bus, or a schedule. */
export interface RuleModel {
  readonly logicalId: string;
  /** `EventBusName`, resolved; none is the default bus. */
  readonly eventBusName?: string;
  readonly eventPattern?: EventPattern;
  readonly scheduleExpression?: string;
  readonly targets: readonly RuleTargetModel[];
}

/** Every enabled rule of the template; a target that is not a function of the template is refused. */
export const rulesOf = (template: CfnTemplate, resolve: Resolve): RuleModel[] =>
  resourcesOfType(template, 'AWS::Events::Rule')
    .filter(([, resource]) => resource.Properties?.State !== 'DISABLED')
    .map(([logicalId, resource]) => {
      const props = resource.Properties ?? {};
      const targets = ((props.Targets as Record<string, unknown>[] | undefined) ?? []).map((target): RuleTargetModel => {
        const functionLogicalId = referencedLogicalId(target.Arn);
        if (functionLogicalId === undefined || template.Resources[functionLogicalId]?.Type !== 'AWS::Lambda::Function') {
          throw new UnsupportedConstructError(
            `Rule ${logicalId} has target ${String(target.Id)} ${JSON.stringify(target.Arn ?? null)}; the local bus delivers to this template's Lambda functions only. Run this target on AWS.`,
          );
        }
        const retry = (target.RetryPolicy as { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number } | undefined) ?? {};
        const dlq = referencedLogicalId((target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn);
        return {
          id: String(target.Id ?? functionLogicalId),
          functionLogicalId,
          ...(typeof target.Input === 'string' ? { input: JSON.parse(target.Input) as unknown } : {}),
          retryPolicy: { maximumRetryAttempts: retry.MaximumRetryAttempts ?? 185, maximumEventAgeInSeconds: retry.MaximumEventAgeInSeconds ?? 86_400 },
          ...(dlq === undefined ? {} : { deadLetterQueueLogicalId: dlq }),
        };
      });
      return {
        logicalId,
        ...(props.EventBusName === undefined ? {} : { eventBusName: resolve(props.EventBusName, `rule ${logicalId}, EventBusName`) }),
        ...(props.EventPattern === undefined ? {} : { eventPattern: checkedPattern(props.EventPattern, resolve, `Rule ${logicalId}`) }),
        ...(typeof props.ScheduleExpression === 'string' ? { scheduleExpression: props.ScheduleExpression } : {}),
        targets,
      };
    });
