import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { EventBus, Schedule } from 'aws-cdk-lib/aws-events';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { TransactionalOutbox, type TransactionalOutboxProps } from '../../../lib/transactional-outbox';

const build = (props?: TransactionalOutboxProps) => {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
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
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'pending',
          KeySchema: [
            { AttributeName: 'pendingShard', KeyType: 'HASH' },
            { AttributeName: 'pendingSince', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
    });
  });

  it('has a sparse parked index, oldest parked first', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'parked',
          KeySchema: [
            { AttributeName: 'parkedKey', KeyType: 'HASH' },
            { AttributeName: 'parkedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]),
    });
  });

  it('has an occurred index (keys only) by day and shard, ordered by occurredAt, for replays of a time range', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'occurred',
          KeySchema: [
            { AttributeName: 'occurredKey', KeyType: 'HASH' },
            { AttributeName: 'occurredAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]),
    });
  });

  it('pages on any parked item, and on an audit that keeps failing', () => {
    const template = build().template();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('parked'),
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'MAX([parkedNow, parkedByRelay])' })]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'AuditFailures',
      Namespace: 'outbox',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
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
      Roles: [{ Ref: stack.getLogicalId(fn.role?.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: [{ Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } }],
      },
    });
  });

  it.each([0, 101, 2.5])('refuses %s pending-index shards at synth, naming the value', (shards) => {
    expect(() => build({ pendingIndexShards: shards })).toThrow(
      new RegExp(`pendingIndexShards must be an integer from 1 to 100, got ${shards}`),
    );
  });
});

describe('TransactionalOutbox relay', () => {
  const mapping = () => build().template();

  it('maps the stream to the relay from TRIM_HORIZON, so nothing written before it starts is missed', () => {
    mapping().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      EventSourceArn: { 'Fn::GetAtt': [Match.anyValue(), 'StreamArn'] },
    });
  });

  it('invokes the relay for INSERTs only', () => {
    mapping().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
    });
  });

  it('reports batch item failures, splits failing batches, and bounds retries and record age', () => {
    mapping().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      ParallelizationFactor: 1,
    });
  });

  it('sends batches it gives up on to an encrypted failure queue', () => {
    const { outbox, stack, template } = build();
    const queueArn = { 'Fn::GetAtt': [stack.getLogicalId(outbox.relayFailureQueue.node.defaultChild as never), 'Arn'] };

    template().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
    template().hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  it('creates a custom bus with an archive of every event for replay', () => {
    const template = build().template();

    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
      RetentionDays: 90,
      EventPattern: { account: [{ Ref: 'AWS::AccountId' }] },
    });
  });

  it('publishes to a given bus instead, creating none', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    const bus = EventBus.fromEventBusName(stack, 'Existing', 'shared-bus');

    new TransactionalOutbox(stack, 'Outbox', { eventBus: bus });

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.resourceCountIs('AWS::Events::Archive', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: 'shared-bus' }) },
    });
  });

  it('leaves the policy of a given bus to its owner', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');

    new TransactionalOutbox(stack, 'Outbox', { eventBus: new EventBus(stack, 'Shared') });

    Template.fromStack(stack).resourceCountIs('AWS::Events::EventBusPolicy', 0);
  });

  it('denies every principal but the outbox functions (relay, reconciler, operations) putting events with its source on the bus it creates', () => {
    const { outbox, stack, template } = build();
    const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as never), 'Arn'] });

    template().resourceCountIs('AWS::Events::EventBusPolicy', 1);
    template().hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: { Ref: stack.getLogicalId(outbox.eventBus.node.defaultChild as never) },
      StatementId: 'cdk-OnlyOutboxPublishesItsSource',
      Statement: {
        Sid: 'cdk-OnlyOutboxPublishesItsSource',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Resource: arnOf(outbox.eventBus),
        Condition: {
          'ForAnyValue:StringEquals': { 'events:source': ['orders'] },
          ArnNotEquals: { 'aws:PrincipalArn': [arnOf(outbox.relayFunction.role as never), arnOf(outbox.reconcilerFunction.role as never), arnOf(outbox.operationsFunction.role as never)] },
        },
      },
    });
  });

  it('protects the source it is given', () => {
    build({ eventSource: 'billing' }).template().hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: Match.objectLike({ Condition: Match.objectLike({ 'ForAnyValue:StringEquals': { 'events:source': ['billing'] } }) }),
    });
  });

  it('refuses an empty event source at synth', () => {
    expect(() => build({ eventSource: ' ' })).toThrow(/eventSource must not be empty/);
  });

  it('lets the relay put events on its one bus, update outbox items and read hold records, and nothing more', () => {
    const { outbox, stack, template } = build();
    const roleId = stack.getLogicalId(outbox.relayFunction.role?.node.defaultChild as never);
    const policies = template().findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
    const statements = Object.values(policies).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    const busArn = { 'Fn::GetAtt': [stack.getLogicalId(outbox.eventBus.node.defaultChild as never), 'Arn'] };
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(outbox.table.node.defaultChild as never), 'Arn'] };

    expect(statements.filter((s) => JSON.stringify(s.Action).includes('events:'))).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Resource: busArn }),
    ]);
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:UpdateItem'))).toEqual([
      expect.objectContaining({ Action: ['dynamodb:UpdateItem', 'dynamodb:BatchGetItem'], Resource: tableArn }),
    ]);
    const dynamoActions = statements.flatMap((s) => [s.Action].flat() as string[]).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamoActions.sort()).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:UpdateItem',
      ].sort(),
    );
  });

  it('gives the relay its bus, table, limits and retention', () => {
    build({ relay: { maxRequestBytes: 1024 * 1024, publishedRetention: Duration.days(3) } })
      .template()
      .hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            OUTBOX_TABLE_NAME: { Ref: Match.anyValue() },
            EVENT_BUS_NAME: { Ref: Match.anyValue() },
            PUT_EVENTS_MAX_REQUEST_BYTES: '1048576',
            PUBLISHED_RETENTION_SECONDS: String(3 * 24 * 60 * 60),
            POWERTOOLS_SERVICE_NAME: 'outbox',
          }),
        },
      });
  });

  it('alarms on anything in the failure queue and on a relay falling behind', () => {
    const template = build().template();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 300_000,
    });
  });

  it.each([
    [{ batchSize: 0 }, /relay.batchSize must be an integer from 1 to 1000, got 0/],
    [{ batchSize: 1001 }, /relay.batchSize must be an integer from 1 to 1000, got 1001\. Lambda takes at most 1,000 records/],
    [{ parallelizationFactor: 2 }, /relay.parallelizationFactor must be an integer from 1 to 1, got 2\. Lambda orders stream records per item/],
    [{ retryAttempts: -1 }, /relay.retryAttempts must be an integer from 0 to 10000, got -1/],
    [{ maxRequestBytes: 2 * 1024 * 1024 }, /relay.maxRequestBytes .* got 2097152/],
    [{ maxRecordAge: Duration.seconds(10) }, /relay.maxRecordAge must be from 1 minute to 7 days, got 10 seconds/],
    [{ publishedRetention: Duration.hours(1) }, /relay.publishedRetention must be at least 1 day, got 1 hour/],
  ])('refuses relay props %j at synth', (relay, message) => {
    expect(() => build({ relay })).toThrow(message);
  });
});

describe('TransactionalOutbox reconciler', () => {
  it('runs every 5 minutes by default, with a 2-minute grace and 1,000 items a run', () => {
    const template = build().template();

    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECONCILE_GRACE_SECONDS: '120', RECONCILE_MAX_ITEMS: '1000' }) },
    });
  });

  it('takes its schedule, grace and run size from props', () => {
    const template = build({ reconciler: { schedule: Schedule.rate(Duration.minutes(15)), grace: Duration.minutes(10), maxItemsPerRun: 50 } }).template();

    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECONCILE_GRACE_SECONDS: '600', RECONCILE_MAX_ITEMS: '50' }) },
    });
    // The relay reads the status of records older than the sweep's grace before publishing them.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RELAY_STATUS_CHECK_AFTER_SECONDS: '600' }) },
    });
  });

  it('lets the reconciler query the pending and parked indexes, mark, park and retry items and publish to its bus, and nothing more', () => {
    const { outbox, stack, template } = build();
    const roleId = stack.getLogicalId(outbox.reconcilerFunction.role?.node.defaultChild as never);
    const statements = Object.values(template().findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(outbox.table.node.defaultChild as never), 'Arn'] };

    expect(statements.filter((s) => JSON.stringify(s.Action).match(/dynamodb|events/))).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents' }),
      expect.objectContaining({ Action: ['dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:Query'], Resource: tableArn }),
      expect.objectContaining({ Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [tableArn, '/index/pending']] } }),
      expect.objectContaining({ Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [tableArn, '/index/parked']] } }),
    ]);
  });

  it('pages when an event stays pending past the grace plus 15 minutes, and when the reconciler keeps failing', () => {
    const template = build().template();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OldestPendingAge', Namespace: 'outbox', Threshold: 17 * 60_000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^OutboxReconciler') } }],
      Threshold: 1,
      DatapointsToAlarm: 2,
    });
  });

  it('lets the operations function read the indexes and the item count, retry parked items and publish to its bus, and nothing more', () => {
    const { outbox, stack, template } = build();
    const roleId = stack.getLogicalId(outbox.operationsFunction.role?.node.defaultChild as never);
    const statements = Object.values(template().findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(outbox.table.node.defaultChild as never), 'Arn'] };
    expect(statements.filter((s) => JSON.stringify(s.Action).match(/dynamodb|events/))).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents' }),
      expect.objectContaining({
        Action: ['dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:DescribeTable'],
        Resource: tableArn,
      }),
      ...['pending', 'parked', 'occurred'].map((index) =>
        expect.objectContaining({ Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [tableArn, `/index/${index}`]] } }),
      ),
    ]);
    template().hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Operator requests'),
      Timeout: 300,
      ReservedConcurrentExecutions: 2,
      Environment: { Variables: Match.objectLike({ PUBLISHED_RETENTION_SECONDS: '604800' }) },
    });
  });

  it('runs one reconciler at a time (reserved concurrency 1)', () => {
    build().template().hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Republishes outbox items the relay missed',
      ReservedConcurrentExecutions: 1,
    });
  });

  it('accepts a lower pending shard count: the sweep reads every shard up to the ceiling of 100', () => {
    expect(() => build({ pendingIndexShards: 2 })).not.toThrow();
    expect(() => build({ pendingIndexShards: 101 })).toThrow(/pendingIndexShards must be an integer from 1 to 100, got 101/);
  });

  it('refuses a run size of 0 at synth', () => {
    expect(() => build({ reconciler: { maxItemsPerRun: 0 } })).toThrow(/reconciler.maxItemsPerRun must be an integer from 1 to 100000, got 0/);
  });
});
