import type { EventPattern } from '../event-pattern';
import type { Resolve } from './intrinsics';
import { type CfnTemplate, UnsupportedConstructError, referencedLogicalId, resourcesOfType } from './template';

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
        ...(props.EventPattern === undefined ? {} : { eventPattern: props.EventPattern as EventPattern }),
        ...(typeof props.ScheduleExpression === 'string' ? { scheduleExpression: props.ScheduleExpression } : {}),
        targets,
      };
    });
