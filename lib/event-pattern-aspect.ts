import { type IAspect, Stack } from 'aws-cdk-lib';
import { CfnArchive, CfnRule } from 'aws-cdk-lib/aws-events';
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { type EventPatternValidationOptions, LAMBDA_FILTER_CHECK, eventPatternProblems } from './event-pattern-validation';

/**
 * Refuses at synth the event patterns EventBridge or Lambda would refuse at deploy: the
 * `EventPattern` of every `AWS::Events::Rule` and `AWS::Events::Archive`, and each
 * `FilterCriteria.Filters[].Pattern` (a JSON string) of every `AWS::Lambda::EventSourceMapping`
 * (against Lambda's narrower filter grammar).
 * Each problem becomes a construct validation error, so `app.synth()` throws naming the construct
 * path and the reason. Tokens are resolved first; an intrinsic (`Ref`, `Fn::*`) standing for a
 * value is an unknown but valid value.
 *
 * @example Aspects.of(app).add(new EventPatternValidation());
 */
export class EventPatternValidation implements IAspect {
  public visit(node: IConstruct): void {
    if (node instanceof CfnRule || node instanceof CfnArchive) {
      const resource = node;
      resource.node.addValidation({
        validate: () => {
          const pattern: unknown = Stack.of(resource).resolve(resource.eventPattern);
          return pattern === undefined ? [] : problemsOf(pattern, 'EventPattern');
        },
      });
    } else if (node instanceof CfnEventSourceMapping) {
      const mapping = node;
      mapping.node.addValidation({
        validate: () => filtersOf(Stack.of(mapping).resolve(mapping.filterCriteria)).flatMap(({ pattern, index }) =>
          // Lambda's own size limit differs from EventBridge's rule quota, and its grammar is narrower.
          problemsOf(pattern, `FilterCriteria.Filters[${index}].Pattern`, LAMBDA_FILTER_CHECK),
        ),
      });
    }
  }
}

const problemsOf = (pattern: unknown, property: string, options: EventPatternValidationOptions = {}): string[] => {
  let parsed: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern) as unknown;
    } catch (error: unknown) {
      return [`${property}: Event pattern is not valid. Reason: not JSON (${error instanceof Error ? error.message : String(error)})`];
    }
  }
  return eventPatternProblems(parsed, options).map((problem) => `${property}: ${problem}`);
};

const filtersOf = (criteria: unknown): { pattern: unknown; index: number }[] => {
  const record = criteria as { filters?: unknown; Filters?: unknown } | undefined;
  const filters = record?.filters ?? record?.Filters;
  if (!Array.isArray(filters)) return [];
  return filters.flatMap((filter: unknown, index) => {
    const item = filter as { pattern?: unknown; Pattern?: unknown } | undefined;
    const pattern = item?.pattern ?? item?.Pattern;
    return pattern === undefined ? [] : [{ pattern, index }];
  });
};
