import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { OrderReadModel } from '../../../lib/order-read-model';

const build = (props: { deliveryRetryAttempts?: number; maxEventAge?: Duration } = {}) => {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  const bus = new EventBus(stack, 'Bus');
  const readModel = new OrderReadModel(stack, 'ReadModel', { eventBus: bus, ...props });
  return { stack, bus, readModel, template: Template.fromStack(stack) };
};

const arnOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({
  'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as never), 'Arn'],
});

describe('OrderReadModel', () => {
  it('keys the read model by order id and lists a customer\'s orders newest first by createdAt', () => {
    build().template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byCustomer',
          KeySchema: [
            { AttributeName: 'customerId', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('routes the four order event types from the bus to the projector', () => {
    const { stack, bus, template } = build();

    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: stack.getLogicalId(bus.node.defaultChild as never) },
      EventPattern: { source: ['orders'], 'detail-type': ['OrderPlaced', 'OrderConfirmed', 'OrderShipped', 'OrderCancelled'] },
    });
  });

  it("retries delivery per the rule's policy and dead-letters what it cannot deliver", () => {
    const { stack, readModel, template } = build({ deliveryRetryAttempts: 7, maxEventAge: Duration.minutes(30) });

    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: arnOf(stack, readModel.projector),
          RetryPolicy: { MaximumRetryAttempts: 7, MaximumEventAgeInSeconds: 1800 },
          DeadLetterConfig: { Arn: arnOf(stack, readModel.deadLetterQueue) },
        }),
      ],
    });
  });

  it('sends projector failures, after Lambda\'s two async retries, to the same dead-letter queue', () => {
    const { stack, readModel, template } = build();

    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(stack, readModel.deadLetterQueue) } },
    });
  });

  it('lets the projector write the read model, and nothing else in DynamoDB', () => {
    const { stack, readModel, template } = build();
    const roleId = stack.getLogicalId(readModel.projector.role?.node.defaultChild as never);
    const statements = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );

    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')))).toEqual([
      expect.objectContaining({ Action: 'dynamodb:PutItem', Resource: arnOf(stack, readModel.table) }),
    ]);
  });

  it('alarms when anything reaches the dead-letter queue', () => {
    build().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
    });
  });
});
