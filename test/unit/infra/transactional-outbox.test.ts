import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { TransactionalOutbox, type TransactionalOutboxProps } from '../../../lib/transactional-outbox';

const build = (props?: TransactionalOutboxProps) => {
  const stack = new Stack(new App(), 'Test');
  const outbox = new TransactionalOutbox(stack, 'Outbox', props);
  return { stack, outbox, template: () => Template.fromStack(stack) };
};

describe('TransactionalOutbox', () => {
  it('keys items by aggregate id and version, so one aggregate\'s events sit together', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'aggregateId', KeyType: 'HASH' },
        { AttributeName: 'version', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'aggregateId', AttributeType: 'S' },
        { AttributeName: 'version', AttributeType: 'N' },
      ]),
    });
  });

  it('streams new images for the relay', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('prunes by TTL on expiresAt', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('has a sparse pending index, ordered by pendingSince within each shard', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'pending',
          KeySchema: [
            { AttributeName: 'pendingShard', KeyType: 'HASH' },
            { AttributeName: 'pendingSince', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('enables point-in-time recovery and encryption at rest', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('retains the table by default, so unsent events survive a stack deletion', () => {
    build().template().hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('honours a removal policy', () => {
    build({ removalPolicy: RemovalPolicy.DESTROY }).template().hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('makes a writer able to put items, with the table name and shard count in its environment', () => {
    const { stack, outbox, template } = build({ pendingIndexShards: 8 });
    const fn = new LambdaFunction(stack, 'Writer', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => {}'),
    });

    outbox.addWriter(fn);

    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { OUTBOX_TABLE_NAME: Match.anyValue(), OUTBOX_PENDING_SHARDS: '8' } },
    });
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'dynamodb:PutItem', Effect: 'Allow' })] },
    });
  });

  it.each([0, 101, 2.5])('refuses %s pending-index shards at synth, naming the value', (shards) => {
    expect(() => build({ pendingIndexShards: shards })).toThrow(
      new RegExp(`pendingIndexShards must be an integer from 1 to 100, got ${shards}`),
    );
  });
});
