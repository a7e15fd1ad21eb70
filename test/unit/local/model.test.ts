import { afterAll, describe, expect, it } from 'vitest';
import {
  type CfnTemplate,
  DEFAULT_ASYNC_INVOKE,
  UnsupportedAuthorizerError,
  UnsupportedConstructError,
  asyncInvokeSettingsOf,
  jwtAuthorizersOf,
  logicalIdOf,
  readAppModel,
  routeAuthorizationsOf,
} from '../../../local/model';
import { InvalidEventPatternError } from '../../../local/model/events';
import { ordersFunctionsOf, synthesizeOrdersTemplate } from '../../../local/apps/orders';
import { synthesizeAuthApp } from '../../support/auth-app';

const template = synthesizeOrdersTemplate();

describe('the functions local faults act on', () => {
  it('finds the relay, the reconciler and the projector by their construct paths', () => {
    expect(ordersFunctionsOf(template)).toEqual({
      relay: logicalIdOf(template, 'OrdersService/Outbox/Relay/Resource'),
      reconciler: logicalIdOf(template, 'OrdersService/Outbox/Reconciler/Resource'),
      projector: logicalIdOf(template, 'OrdersService/ReadModel/Projector/Resource'),
    });
  });

  it('finds none in a template without them', () => {
    expect(ordersFunctionsOf({ Resources: {} })).toEqual({});
  });
});

describe('asyncInvokeSettingsOf', () => {
  it("reads the projector's EventInvokeConfig: its retries and its dead-letter queue as on-failure destination", () => {
    const projector = logicalIdOf(template, 'OrdersService/ReadModel/Projector/Resource');

    expect(asyncInvokeSettingsOf(template).get(projector)).toEqual({
      maxRetryAttempts: 2,
      maxEventAgeSeconds: DEFAULT_ASYNC_INVOKE.maxEventAgeSeconds,
      onFailureQueueLogicalId: logicalIdOf(template, 'OrdersService/ReadModel/DeadLetters/Resource'),
    });
  });

  it('leaves out functions without one (they get Lambda defaults)', () => {
    const relay = logicalIdOf(template, 'OrdersService/Outbox/Relay/Resource');

    expect(asyncInvokeSettingsOf(template).has(relay)).toBe(false);
  });
});

describe('the HTTP API authorizers of a template', () => {
  const app = synthesizeAuthApp();
  afterAll(() => app.remove());
  const authorizerNamed = (name: string) => [...jwtAuthorizersOf(app.template).values()].find((authorizer) => authorizer.name === name);

  it("reads a user pool authorizer's issuer and audience as the template has them (Fn::Join, Ref), from the Authorization header", () => {
    const userPool = authorizerNamed('UserPool');

    expect(JSON.stringify(userPool?.issuer)).toContain('cognito-idp.');
    expect(userPool?.audience).toEqual([{ Ref: logicalIdOf(app.template, 'AuthApp/Users/Cli/Resource') }]);
    expect(userPool?.identitySource).toEqual({ in: 'header', name: 'authorization' });
  });

  it("reads a JWT authorizer's literal issuer and audience", () => {
    expect(authorizerNamed('Partners')).toMatchObject({ issuer: 'https://partners.example.com', audience: ['partner-api'] });
  });

  it('gives every route its authorizer and scopes, and leaves a route without one open', () => {
    const routes = routeAuthorizationsOf(app.template);
    const userPool = authorizerNamed('UserPool')?.logicalId;

    expect(routes.get('GET /things')).toEqual({ type: 'JWT', authorizerLogicalId: userPool, scopes: [] });
    expect(routes.get('POST /things')).toEqual({ type: 'JWT', authorizerLogicalId: userPool, scopes: [] });
    expect(routes.get('GET /partners')).toEqual({ type: 'JWT', authorizerLogicalId: authorizerNamed('Partners')?.logicalId, scopes: ['partners/read'] });
    expect(routes.get('GET /open')).toEqual({ type: 'NONE', scopes: [] });
  });

  it('refuses a Lambda (REQUEST) authorizer with one error that names it and what is supported', () => {
    const template = {
      Resources: {
        Custom: { Type: 'AWS::ApiGatewayV2::Authorizer', Properties: { AuthorizerType: 'REQUEST', IdentitySource: ['$request.header.Authorization'] } },
      },
    };

    expect(() => routeAuthorizationsOf(template)).toThrow(UnsupportedAuthorizerError);
    expect(() => routeAuthorizationsOf(template)).toThrow(/Authorizer Custom is of type REQUEST; the local stack emulates only JWT authorizers/);
  });

  it('refuses a route that needs IAM authorization', () => {
    const template = {
      Resources: { Route: { Type: 'AWS::ApiGatewayV2::Route', Properties: { RouteKey: 'GET /x', AuthorizationType: 'AWS_IAM' } } },
    };

    expect(() => routeAuthorizationsOf(template)).toThrow(/Route GET \/x \(Route\) uses AuthorizationType AWS_IAM/);
  });

  it('refuses a JWT route whose authorizer is not in the template', () => {
    const template = {
      Resources: {
        Route: { Type: 'AWS::ApiGatewayV2::Route', Properties: { RouteKey: 'GET /x', AuthorizationType: 'JWT', AuthorizerId: 'abc123' } },
      },
    };

    expect(() => routeAuthorizationsOf(template)).toThrow(UnsupportedAuthorizerError);
  });

  it('reads an identity source in the query string', () => {
    const template = {
      Resources: {
        Jwt: {
          Type: 'AWS::ApiGatewayV2::Authorizer',
          Properties: { AuthorizerType: 'JWT', IdentitySource: ['$request.querystring.access_token'], JwtConfiguration: { Issuer: 'https://i', Audience: ['a'] } },
        },
      },
    };

    expect(jwtAuthorizersOf(template).get('Jwt')?.identitySource).toEqual({ in: 'querystring', name: 'access_token' });
  });
});

describe('readAppModel', () => {
  // The in-process synth skips bundling; `cdk synth` would record each function's bundle like this.
  const bundled: CfnTemplate = {
    Resources: Object.fromEntries(
      Object.entries(template.Resources).map(([id, r]) => [id, r.Type === 'AWS::Lambda::Function' ? { ...r, Metadata: { ...r.Metadata, 'aws:asset:path': `asset.${id}` } } : r]),
    ),
  };
  const model = readAppModel(bundled, '/assembly', { tablePrefix: 'p-' });
  const at = (path: string) => logicalIdOf(template, `OrdersService/${path}/Resource`);

  it("gives each function its bundle, its settings and its environment with the template's references resolved", () => {
    const relay = model.functions.find((fn) => fn.name === 'relay');

    expect(relay).toMatchObject({ logicalId: at('Outbox/Relay'), constructPath: 'OrdersService/Outbox/Relay/Resource', exportName: 'handler', timeoutMs: 60_000 });
    expect(relay?.environment.OUTBOX_TABLE_NAME).toBe(`p-${at('Outbox/Table')}`);
    expect(relay?.asyncInvoke).toEqual(DEFAULT_ASYNC_INVOKE);
  });

  it("reads the projector's rule target: its RetryPolicy and dead-letter queue, apart from the function's EventInvokeConfig", () => {
    const rule = model.rules.find((r) => r.logicalId === at('ReadModel/OrderEvents'));
    const projector = model.functions.find((fn) => fn.logicalId === at('ReadModel/Projector'));

    expect(rule?.targets).toEqual([
      expect.objectContaining({
        functionLogicalId: at('ReadModel/Projector'),
        retryPolicy: { maximumRetryAttempts: 20, maximumEventAgeInSeconds: 7200 },
        deadLetterQueueLogicalId: at('ReadModel/DeadLetters'),
      }),
    ]);
    expect(projector?.asyncInvoke).toMatchObject({ maxRetryAttempts: 2, onFailureQueueLogicalId: at('ReadModel/DeadLetters') });
  });

  it("reads the outbox table's stream, TTL and indexes, under the local name", () => {
    const outbox = model.tables.find((table) => table.logicalId === at('Outbox/Table'));

    expect(outbox).toMatchObject({ tableName: `p-${at('Outbox/Table')}`, streamViewType: 'NEW_IMAGE', timeToLiveAttribute: 'expiresAt' });
    expect(outbox?.globalSecondaryIndexes.map((index) => index.IndexName)).toEqual(['pending', 'parked', 'occurred']);
  });

  const refused = (resources: CfnTemplate['Resources']) => () => readAppModel({ Resources: resources }, '/assembly', { tablePrefix: '' });
  const fn = { Type: 'AWS::Lambda::Function', Metadata: { 'aws:asset:path': 'asset.fn' }, Properties: { Handler: 'index.handler' } };

  it('refuses an intrinsic function it cannot resolve, naming where the template has it', () => {
    const template = { Fn: { ...fn, Properties: { Handler: 'index.handler', Environment: { Variables: { URL: { 'Fn::Sub': 'https://${AWS::Region}' } } } } } };

    expect(refused(template)).toThrow(UnsupportedConstructError);
    expect(refused(template)).toThrow(/cannot resolve \{"Fn::Sub":"https:\/\/\$\{AWS::Region\}"\} \(function Fn, variable URL\)/);
  });

  it('refuses a rule target that is not a function of the template', () => {
    const template = {
      Queue: { Type: 'AWS::SQS::Queue' },
      Rule: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['x'] }, Targets: [{ Id: 'q', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } }] } },
    };

    expect(refused(template)).toThrow(/Rule Rule has target q .*Lambda functions only/);
  });

  it('refuses an event source mapping on anything but a DynamoDB stream', () => {
    const template = {
      Fn: fn,
      Queue: { Type: 'AWS::SQS::Queue' },
      Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, FunctionName: { Ref: 'Fn' } } },
    };

    expect(refused(template)).toThrow(/Event source mapping Mapping reads .*polls the streams of this template's DynamoDB tables only/);
  });

  it('refuses to start with a rule pattern EventBridge refuses, naming the rule and the problem', () => {
    const template = {
      Fn: fn,
      Rule: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: 'orders' }, Targets: [{ Id: 'f', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }] } },
    };

    expect(refused(template)).toThrow(InvalidEventPatternError);
    expect(refused(template)).toThrow(/^Rule Rule has an event pattern that AWS refuses: Event pattern is not valid\. Reason: .* at source/);
  });

  it("resolves intrinsic functions in a rule's pattern before checking and matching it", () => {
    const template = {
      Fn: fn,
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: { EventPattern: { account: [{ Ref: 'AWS::AccountId' }] }, Targets: [{ Id: 'f', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }] },
      },
    };

    expect(readAppModel({ Resources: template }, '/assembly', { tablePrefix: '' }).rules[0]?.eventPattern).toEqual({ account: ['000000000000'] });
  });

  /** A function on a table's stream, with one filter pattern. */
  const withStreamFilter = (pattern: unknown) => ({
    Fn: fn,
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] },
        FunctionName: { Ref: 'Fn' },
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify(pattern) }] },
      },
    },
  });

  it('refuses a Lambda filter pattern that is not valid, naming the mapping and the filter', () => {
    const template = withStreamFilter({ eventName: [{ prefix: 7 }] });

    expect(refused(template)).toThrow(/^Event source mapping Mapping, FilterCriteria\.Filters\[0\] has an event pattern that AWS refuses: .*prefix/);
  });

  it('refuses a Lambda filter pattern with an operator only EventBridge rules support (anything-but a prefix)', () => {
    const template = withStreamFilter({ eventName: [{ 'anything-but': { prefix: 'MOD' } }] });

    expect(refused(template)).toThrow(/^Event source mapping Mapping, FilterCriteria\.Filters\[0\] has an event pattern that AWS refuses: .*anything-but with prefix is not supported by Lambda event filtering/);
  });
});


describe('the outputs and queues of the model', () => {
  const template: CfnTemplate = {
    Resources: {
      Jobs: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 120, MessageRetentionPeriod: 1_209_600 } },
      Users: { Type: 'AWS::Cognito::UserPool', Properties: {} },
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
    },
    Outputs: {
      JobsUrl: { Value: { Ref: 'Jobs' } },
      JobsArn: { Value: { 'Fn::GetAtt': ['Jobs', 'Arn'] }, Description: 'the jobs queue' },
      ApiUrl: { Value: { 'Fn::GetAtt': ['Api', 'ApiEndpoint'] } },
      UserPoolId: { Value: { Ref: 'Users' } },
      Issuer: { Value: { 'Fn::Join': ['', ['https://cognito-idp.us-east-1.amazonaws.com/', { Ref: 'Users' }]] } },
      Imported: { Value: { 'Fn::ImportValue': 'Elsewhere' } },
    },
  };
  const model = readAppModel(template, '/assembly', { tablePrefix: '', apiUrl: 'http://127.0.0.1:4321' });

  it('gives each queue a URL on the local API and the settings the template has', () => {
    expect(model.queues).toEqual([
      expect.objectContaining({ name: 'Jobs', url: 'http://127.0.0.1:4321/000000000000/Jobs', visibilityTimeoutSeconds: 120, messageRetentionSeconds: 1_209_600 }),
    ]);
  });

  it('resolves the outputs it can, and leaves out those naming what the local stack does not run or cannot resolve', () => {
    expect(model.outputs).toEqual([
      { key: 'JobsUrl', value: 'http://127.0.0.1:4321/000000000000/Jobs' },
      { key: 'JobsArn', value: 'arn:aws:sqs:us-east-1:000000000000:Jobs', description: 'the jobs queue' },
      { key: 'ApiUrl', value: 'http://127.0.0.1:4321' },
    ]);
  });

  it('refuses a queue setting it cannot read, naming the queue', () => {
    const refused = () => readAppModel({ Resources: { Jobs: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: { Ref: 'Timeout' } } } } }, '/assembly', { tablePrefix: '' });

    expect(refused).toThrow(/Queue Jobs has VisibilityTimeout/);
  });
});
